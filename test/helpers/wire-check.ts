import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { EventSchemas } from '../../src/protocol/events.js';
import { ReplySchemas } from '../../src/protocol/replies.js';
import type { PacketName } from '../../src/protocol/requests/index.js';

/**
 * Checks server frames against the reply and event schemas of src/protocol (the ones the client
 * SDK's types are generated from). TestClient runs every reply and every event a test looks at
 * through these, so an e2e run fails when the server and the schemas drift apart.
 */

const compiled = new Map<string, TypeCheck<TSchema>>();
function checker(kind: 'reply' | 'event', name: string, schema: TSchema): TypeCheck<TSchema> {
  const key = `${kind}:${name}`;
  let c = compiled.get(key);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(key, c);
  }
  return c;
}

/** What was checked in this process, by `reply:<packet>` / `event:<name>` (coverage for the schema test). */
export const checkedKinds = new Set<string>();

function problem(check: TypeCheck<TSchema>, value: unknown): string | undefined {
  if (check.Check(value)) return undefined;
  const first = [...check.Errors(value)].slice(0, 3).map((e) => `${e.path || '/'}: ${e.message}`);
  return first.join('; ');
}

/**
 * The schema violation of a successful reply to `packet` (the fields beside `id`, or the `ask`
 * body), or undefined when it conforms or the packet is unknown here.
 */
export function replyProblem(packet: string, reply: Record<string, unknown>): string | undefined {
  if (!Object.hasOwn(ReplySchemas, packet)) return undefined;
  const schema: TSchema = ReplySchemas[packet as PacketName];
  const { id: _id, ...fields } = reply;
  const issue = problem(checker('reply', packet, schema), fields);
  checkedKinds.add(`reply:${packet}`);
  return issue === undefined ? undefined : `reply to ${packet} does not match its schema (${issue}): ${JSON.stringify(reply).slice(0, 400)}`;
}

/**
 * The schema violation of a server frame that is an event (its top-level key names one and it is
 * not an error reply under that key), or undefined.
 */
export function eventProblem(frame: Record<string, unknown>): string | undefined {
  const keys = Object.keys(frame);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined || !Object.hasOwn(EventSchemas, name)) return undefined;
  const body = frame[name];
  if (typeof body === 'object' && body !== null && 'error' in body) return undefined;
  const issue = problem(checker('event', name, EventSchemas[name as keyof typeof EventSchemas]), body);
  checkedKinds.add(`event:${name}`);
  return issue === undefined ? undefined : `${name} event does not match its schema (${issue}): ${JSON.stringify(frame).slice(0, 400)}`;
}
