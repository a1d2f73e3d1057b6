// Writes packages/client/src/protocol.ts: the client SDK's request, reply and event types,
// generated from the TypeBox schemas the server validates with and answers by (src/protocol/).
// The SDK thereby shares the server's contract without depending on TypeBox at run time or in
// its published type declarations.
//   npx tsx scripts/gen-client-types.ts           rewrite the file
//   npx tsx scripts/gen-client-types.ts --check   exit 1 when the file is stale
// test/sdk/client-types.test.ts fails when the committed file differs from what this generates.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import { EventSchemas } from '../src/protocol/events.js';
import { ReplySchemas, WireError } from '../src/protocol/replies.js';
import { RequestSchemas } from '../src/protocol/requests/index.js';

/** Where the generated module goes, from the repository root. */
export const CLIENT_TYPES_PATH = join('packages', 'client', 'src', 'protocol.ts');

type Schema = TSchema & Record<string | symbol, unknown>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Renders TypeBox schemas as TypeScript types; schemas with a `title` become named declarations. */
class Emitter {
  private readonly named = new Map<string, { schema: Schema; json: string }>();

  /** Registers every titled schema reachable from `schema`, checking a title names one shape. */
  collect(schema: Schema): void {
    const title = schema.title;
    if (typeof title === 'string') {
      const json = JSON.stringify(schema, (k, v: unknown) => (k === 'description' ? undefined : v));
      const seen = this.named.get(title);
      if (seen && seen.json !== json) throw new Error(`two different schemas are titled ${title}`);
      if (seen) return;
      this.named.set(title, { schema, json });
    }
    for (const child of children(schema)) this.collect(child);
  }

  /** The type of `schema` as an expression; a titled schema is referred to by name unless `inline`. */
  type(schema: Schema, indent: string, inline = false): string {
    if (!inline && typeof schema.title === 'string') return schema.title;
    switch (schema[Kind]) {
      case 'String':
        return 'string';
      case 'Number':
      case 'Integer':
        return 'number';
      case 'Boolean':
        return 'boolean';
      case 'Null':
        return 'null';
      case 'Literal':
        return JSON.stringify(schema.const);
      case 'Unknown':
      case 'Any':
        return 'unknown';
      case 'Never':
        return 'never';
      case 'Union':
        return (schema.anyOf as Schema[]).map((s) => this.type(s, indent)).join(' | ');
      case 'Array': {
        const item = this.type(schema.items as Schema, indent);
        return /[ |&]/.test(item) && !item.startsWith('{') ? `Array<${item}>` : `${item}[]`;
      }
      case 'Record': {
        const value = Object.values(schema.patternProperties as Record<string, Schema>)[0];
        if (!value) throw new Error('a Record schema without a value schema');
        return `{ [key: string]: ${this.type(value, indent)} }`;
      }
      case 'Object':
        return this.object(schema, indent);
      default:
        throw new Error(`no TypeScript rendering for schema kind ${String(schema[Kind])}`);
    }
  }

  private object(schema: Schema, indent: string): string {
    const props = Object.entries(schema.properties as Record<string, Schema>);
    const open = schema.additionalProperties === true;
    if (props.length === 0) return open ? '{ [key: string]: unknown }' : 'Record<string, never>';
    const inner = `${indent}  `;
    const lines = props.map(([name, s]) => `${doc(s, inner, s.title === undefined)}${inner}${IDENT.test(name) ? name : JSON.stringify(name)}${s[OptionalKind] === 'Optional' ? '?' : ''}: ${this.type(s, inner)};`);
    if (open) lines.push(`${inner}[key: string]: unknown;`);
    return `{\n${lines.join('\n')}\n${indent}}`;
  }

  /** `export interface …` / `export type …` for every titled schema, by name. */
  declarations(): string[] {
    return [...this.named.keys()].sort().map((title) => {
      const { schema } = this.named.get(title) as { schema: Schema };
      const body = this.type(schema, '', true);
      return schema[Kind] === 'Object' ? `${doc(schema, '')}export interface ${title} ${body}` : `${doc(schema, '')}export type ${title} = ${body};`;
    });
  }

  /** `export interface <name> { packet: type; … }` for a map of schemas. */
  map(name: string, description: string, schemas: Record<string, Schema>): string {
    const lines = Object.entries(schemas).map(([k, s]) => `${doc(s, '  ', s.title === undefined)}  ${k}: ${this.type(s, '  ')};`);
    return `/** ${description} */\nexport interface ${name} {\n${lines.join('\n')}\n}`;
  }
}

function children(schema: Schema): Schema[] {
  const out: Schema[] = [];
  if (schema.properties) out.push(...Object.values(schema.properties as Record<string, Schema>));
  if (schema.patternProperties) out.push(...Object.values(schema.patternProperties as Record<string, Schema>));
  if (schema.items && !Array.isArray(schema.items)) out.push(schema.items as Schema);
  if (Array.isArray(schema.anyOf)) out.push(...(schema.anyOf as Schema[]));
  return out;
}

function doc(schema: Schema, indent: string, withDescription = true): string {
  const d = schema.description;
  return withDescription && typeof d === 'string' ? `${indent}/** ${d.replace(/\*\//g, '*\\/')} */\n` : '';
}

/** The text of packages/client/src/protocol.ts. */
export function generateClientTypes(): string {
  const requests = RequestSchemas as unknown as Record<string, Schema>;
  const replies = ReplySchemas as unknown as Record<string, Schema>;
  const events = EventSchemas as unknown as Record<string, Schema>;
  const e = new Emitter();
  for (const s of [...Object.values(requests), ...Object.values(replies), ...Object.values(events), WireError as unknown as Schema]) e.collect(s);
  const parts = [
    [
      "// Generated by scripts/gen-client-types.ts from the server's schemas (src/protocol/). Do not edit:",
      '// run `npm run gen:client` in the repository root after changing a schema.',
      '//',
      '// Conventions (protocol.md §0): ids are 24-hex strings; `created_at`/`updated_at` are ISO-8601',
      '// UTC times with milliseconds; `t` and activity times are unix seconds.',
    ].join('\n'),
    ...e.declarations(),
    e.map('Requests', 'The body of every client packet, by packet name (protocol.md §3).', requests),
    e.map('Replies', 'The success reply of every client packet: the fields beside `id` in `response`; the `ask` for `message` and `system_message`; `never` for `typing`, which has none.', replies),
    e.map('Events', 'The body of every event the server sends unasked, by its top-level key (protocol.md §1.6).', events),
    '/** A client packet name. */\nexport type PacketName = keyof Requests;',
    '/** A server event name. */\nexport type EventName = keyof Events;',
    `/** Every server event name. */\nexport const EVENT_NAMES: readonly EventName[] = ${JSON.stringify(Object.keys(events)).replace(/,/g, ', ')};`,
  ];
  return `${parts.join('\n\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = resolve(import.meta.dirname, '..', CLIENT_TYPES_PATH);
  const text = generateClientTypes();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      console.error(`${CLIENT_TYPES_PATH} is out of date: run npm run gen:client`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${CLIENT_TYPES_PATH}`);
  }
}
