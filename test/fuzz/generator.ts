import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import type { RegisteredHandler } from '../../src/handlers/define.js';
import { MAX_NESTING } from '../../src/protocol/envelope.js';
import type { Rng } from './rng.js';

/**
 * Hostile packets generated from the handler registry's TypeBox schemas: valid bodies (with real
 * ids so handlers get past "not found"), and the same bodies broken in every way a client can
 * break them — wrong types, missing and extra fields, `__proto__`/`constructor` keys, huge
 * strings, deep nesting, non-object bodies — plus frames that are not packets at all. Shared by
 * the fuzz test and `npm run bench -- fuzz`.
 */

/** Ids that exist on the server under test, by what they name. */
export interface IdPool {
  readonly organizations: readonly string[];
  readonly users: readonly string[];
  readonly conversations: readonly string[];
  readonly messages: readonly string[];
}

/** A real id for a field, chosen by the field's name (an id of another kind now and then). */
function poolId(rng: Rng, pool: IdPool, field: string | undefined): string | undefined {
  const all = [...pool.organizations, ...pool.users, ...pool.conversations, ...pool.messages];
  let list: readonly string[] = all;
  if (field === 'cid' || field === 'cids' || field === 'conversation_id') list = pool.conversations;
  else if (field === 'organization_id') list = pool.organizations;
  else if (field === 'mid' || field === 'replied_message_id' || field === 'forwarded_message_id') list = pool.messages;
  else if (field === 'participants' || field === 'uids' || field === 'user_id' || field === 'recipients_ids' || field === 'add' || field === 'remove') list = pool.users;
  if (list.length === 0 || rng.chance(0.1)) list = all;
  return list.length === 0 ? undefined : rng.pick(list);
}

/** One frame to send and what its reply can be matched by. */
export interface FuzzPacket {
  /** The packet name, or `garbage:<what>` for frames that are not packets. */
  readonly label: string;
  readonly data: string | Buffer;
  /** Ids a reply to this frame may carry (outer request id, body id / `ask.mid`). */
  readonly ids: readonly string[];
  /** A reply may carry none of `ids` (garbage, bare packets, odd request ids, `ask` without `mid`). */
  readonly anonymous: boolean;
  /** The packet may legitimately get no reply (e.g. `typing` succeeds silently). */
  readonly maySilent: boolean;
  /** The packet changes what the socket is signed in as (the driver restores it afterwards). */
  readonly sessionChanging: boolean;
}

/** Packets whose success binds, unbinds or ends the socket's session. */
export const SESSION_KINDS: ReadonlySet<string> = new Set(['user_login', 'connect', 'user_logout', 'user_delete', 'user_edit']);
/** Packets that answer nothing on success (protocol.md: typing). */
export const SILENT_KINDS: ReadonlySet<string> = new Set(['typing']);

/** Keys that attack prototype handling or shadow built-ins when a server copies objects. */
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'then'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789 _-.';
const ODD_STRINGS = ['', ' ', '\u0000', '\ud800', '😀'.repeat(8), '<script>alert(1)</script>', "' OR 1=1 --", '%s%s%n', '../../etc/passwd', 'null', '{}', '-1', '1e309', '000000000000000000000000', 'ffffffffffffffffffffffff'];
/** Stands for a deeply nested value; replaced in the serialised text (JSON.stringify would overflow on it). */
const DEEP_MARK = '\u0001deep\u0001';

function str(rng: Rng, min: number, max: number): string {
  const len = rng.int(min, Math.max(min, max));
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[rng.int(0, ALPHABET.length - 1)];
  return s;
}

/** A random JSON value of any type, a few levels deep at most. */
export function anyValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1, 1.5, -0.000001, 2 ** 53, -(2 ** 63), 1e308, rng.int(-1000, 1e9)]);
    case 3: return str(rng, 0, 12);
    case 4: return rng.pick(ODD_STRINGS);
    case 5: return rng.int(0, 1e12).toString(16).padStart(24, '0');
    case 6: return Array.from({ length: rng.int(0, 3) }, () => anyValue(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(0, 3) }, () => [str(rng, 1, 6), anyValue(rng, depth + 1)]));
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * A value the schema accepts. Id-shaped strings come from `pool` half of the time, so requests
 * reach the code behind the "not found" checks.
 */
export function validValue(schema: TSchema, rng: Rng, pool: IdPool, field?: string): unknown {
  const s = schema as TSchema & Record<string, unknown>;
  switch (s[Kind]) {
    case 'Object': {
      const props = (s.properties ?? {}) as Record<string, TSchema>;
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(props)) {
        const optional = (prop as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';
        if (!optional || rng.chance(0.5)) out[key] = validValue(prop, rng, pool, key);
      }
      if (s.additionalProperties === true && rng.chance(0.2)) out[str(rng, 1, 8)] = anyValue(rng, 2);
      return out;
    }
    case 'Array': {
      const min = num(s.minItems) ?? 0;
      const max = Math.min(num(s.maxItems) ?? min + 3, min + 3);
      return Array.from({ length: rng.int(min, max) }, () => validValue(s.items as TSchema, rng, pool, field));
    }
    case 'String': {
      const min = num(s.minLength) ?? 0;
      const max = num(s.maxLength) ?? 64;
      if (typeof s.pattern === 'string') return `${str(rng, 1, 8).replace(/[ .]/g, 'x')}@example.com`;
      const real = min <= 24 && max >= 24 && rng.chance(0.7) ? poolId(rng, pool, field) : undefined;
      if (real !== undefined) return real;
      return str(rng, min, Math.min(max, min + 24));
    }
    case 'Number':
    case 'Integer': {
      const min = num(s.minimum) ?? -1000;
      const max = num(s.maximum) ?? 1e13;
      const v = min + rng.next() * (max - min);
      return s[Kind] === 'Integer' ? Math.floor(v) : rng.chance(0.5) ? Math.floor(v) : v;
    }
    case 'Boolean': return rng.chance(0.5);
    case 'Literal': return s.const;
    case 'Union': return validValue(rng.pick(s.anyOf as TSchema[]), rng, pool, field);
    case 'Null': return null;
    default: return anyValue(rng, 1); // Any, Unknown
  }
}

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** Every (container, key) slot in `root`, root's own slots included. */
function slots(root: unknown): [Container, string | number][] {
  const out: [Container, string | number][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        out.push([v, i]);
        walk(item);
      });
    } else if (isContainer(v)) {
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(root);
  return out;
}

function setOwn(target: Container, key: string | number, value: unknown): void {
  // defineProperty, so a "__proto__" key becomes an own property that JSON.stringify writes out.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A value of another type than `v`. */
function wrongType(rng: Rng, v: unknown): unknown {
  for (;;) {
    const w = anyValue(rng, 1);
    if (typeof w !== typeof v || Array.isArray(w) !== Array.isArray(v) || (w === null) !== (v === null)) return w;
  }
}

/** The mutation applied to a valid body; `none` sends it as generated. */
const MUTATIONS = ['none', 'none', 'none', 'wrong_type', 'wrong_type', 'missing', 'extra', 'nasty_key', 'huge', 'deep', 'not_object'] as const;

/** Breaks `body` in place (or replaces it) the way `mutation` says. */
function mutate(rng: Rng, body: unknown, mutation: (typeof MUTATIONS)[number]): unknown {
  const all = slots(body);
  const objects = [body, ...all.map(([c, k]) => (c as Record<string | number, unknown>)[k])].filter((v): v is Record<string, unknown> => isContainer(v) && !Array.isArray(v));
  switch (mutation) {
    case 'none': return body;
    case 'wrong_type': {
      if (all.length === 0) return wrongType(rng, body);
      const [c, k] = rng.pick(all);
      setOwn(c, k, wrongType(rng, (c as Record<string | number, unknown>)[k]));
      return body;
    }
    case 'missing': {
      const keyed = all.filter(([c]) => !Array.isArray(c));
      if (keyed.length === 0) return {};
      const [c, k] = rng.pick(keyed);
      delete (c as Record<string, unknown>)[k as string];
      return body;
    }
    case 'extra':
    case 'nasty_key': {
      if (objects.length === 0) return body;
      const key = mutation === 'extra' ? str(rng, 1, 10) : rng.pick(NASTY_KEYS);
      setOwn(rng.pick(objects), key, rng.chance(0.5) ? { polluted: true, ping: {}, status: 500 } : anyValue(rng));
      return body;
    }
    case 'huge': {
      // Mostly below the 1 MiB frame limit (so the handler sees it), sometimes above (413).
      const size = rng.chance(0.05) ? rng.int(1_100_000, 1_500_000) : rng.chance(0.2) ? rng.int(100_000, 400_000) : rng.int(2_000, 40_000);
      const big = rng.chance(0.2) ? '😀'.repeat(size / 2) : 'x'.repeat(size);
      if (all.length === 0 || rng.chance(0.2)) return big;
      const [c, k] = rng.pick(all);
      setOwn(c, k, rng.chance(0.8) ? big : Array.from({ length: 2000 }, () => 'y'.repeat(50)));
      return body;
    }
    case 'deep': {
      if (all.length === 0) return DEEP_MARK;
      const [c, k] = rng.pick(all);
      setOwn(c, k, DEEP_MARK);
      return body;
    }
    case 'not_object': return rng.pick([null, 0, -1, 'x', true, [], [body], [[]], '']);
  }
}

/** The frame's text, and whether the server refuses it undecoded (no id in the reply then). */
function serialise(rng: Rng, value: unknown): { text: string; tooDeep: boolean } {
  const text = JSON.stringify(value);
  if (!text.includes('\\u0001deep\\u0001')) return { text, tooDeep: false };
  const roll = rng.next();
  const depth = roll < 0.3 ? rng.int(5, 60) : roll < 0.4 ? rng.int(20_000, 100_000) : rng.int(65, 5_000);
  const [open, close] = rng.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  // The marker's own containers add a few levels; count them in so the estimate errs high.
  const tooDeep = depth + 8 > MAX_NESTING;
  return { text: text.replace(`"\\u0001deep\\u0001"`, `${open.repeat(depth)}1${close.repeat(depth)}`), tooDeep };
}

/** Frames that are not packets: bad JSON, binary, empty, non-objects, broken envelopes. */
function garbage(rng: Rng, kinds: readonly string[]): FuzzPacket {
  const make = (label: string, data: string | Buffer): FuzzPacket => ({ label: `garbage:${label}`, data, ids: [], anonymous: true, maySilent: false, sessionChanging: false });
  switch (rng.int(0, 11)) {
    case 0: return make('empty', '');
    case 1: {
      const text = JSON.stringify({ request: { [rng.pick(kinds)]: {}, id: 'g' } });
      return make('truncated', text.slice(0, rng.int(1, text.length - 1)));
    }
    case 2: return make('binary', Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255))));
    case 3: return make('number', rng.pick(['0', '-1', '1e999', 'NaN', '123456789012345678901234567890']));
    case 4: return make('array', rng.pick(['[]', '[{"request":{"ping":{}}}]', '[[[[]]]]']));
    case 5: return make('scalar', rng.pick(['null', 'true', '"request"', '""']));
    case 6: return make('empty_object', rng.pick(['{}', '{"id":"x"}', '{"request":{}}', '{"request":{"id":"y"}}']));
    case 7: return make('bad_request', JSON.stringify({ request: rng.pick([null, 1, 'ping', [], true]) }));
    case 8: return make('unknown_kind', JSON.stringify({ request: { [rng.pick(['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', str(rng, 1, 20)])]: {}, id: 'u' } }));
    case 9: return make('proto_envelope', '{"__proto__":{"ping":{}},"request":{"__proto__":{"id":"p"},"constructor":{}}}');
    case 10: return make('invalid_utf8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    default: return make('noise', str(rng, 1, 100));
  }
}

/**
 * The next hostile frame. `nextId` gives a fresh id each call, so replies can be matched.
 * About one frame in ten is garbage; the rest are packets of a random registered kind.
 */
export function nextPacket(rng: Rng, handlers: readonly RegisteredHandler[], pool: IdPool, nextId: () => string): FuzzPacket {
  if (rng.chance(0.1)) return garbage(rng, handlers.map((h) => h.kind));
  const handler = rng.pick(handlers);
  let body = validValue(handler.validator.schema, rng, pool);
  const id = nextId();
  // Most bodies carry a fresh `id` (messages use it as the client message id and `ask.mid`).
  if (isContainer(body) && !Array.isArray(body) && rng.chance(0.7) && (body.id === undefined || handler.kind === 'message' || handler.kind === 'system_message')) body.id = `${id}b`;
  body = mutate(rng, body, rng.pick(MUTATIONS));
  // Only ids unique to this frame match replies; a body id taken from the pool may recur.
  const ids = [id];
  if (isContainer(body) && !Array.isArray(body) && body.id === `${id}b`) ids.push(`${id}b`);
  let envelope: unknown;
  let anonymous = handler.kind === 'message' || handler.kind === 'system_message';
  if (rng.chance(0.15)) {
    envelope = { [handler.kind]: body }; // bare packet (protocol.md §1.4)
    anonymous = true;
  } else {
    const outerId = rng.chance(0.95) ? id : rng.pick<unknown>([undefined, null, { id }, [id], 7.5]);
    envelope = outerId === undefined ? { request: { [handler.kind]: body } } : { request: { [handler.kind]: body, id: outerId } };
    if (outerId !== id) anonymous = true;
  }
  const { text: data, tooDeep } = serialise(rng, envelope);
  // A frame over the server's size or nesting limit is answered 413 / 400 without any id.
  if (tooDeep || (data.length > 250_000 && Buffer.byteLength(data) > 1_000_000)) anonymous = true;
  return { label: handler.kind, data, ids, anonymous, maySilent: SILENT_KINDS.has(handler.kind), sessionChanging: SESSION_KINDS.has(handler.kind) };
}
