import assert from 'node:assert/strict';
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import { after, before, describe, it } from 'node:test';
import { HANDLERS } from '../../src/handlers/index.js';
import type { TestClient, Frame } from '../helpers/client.js';
import { TestServer, type TestUser } from '../helpers/server.js';

/**
 * The authorization matrix, generated from the handler registry: every signed-in packet that
 * takes an id (conversation, message, user, contact, subscription, device, file) is sent by Mallory
 * with ids of things she may not touch — a conversation of her organization she is not in, its
 * message, another member's contact, push subscription and encryption device, and a user,
 * conversation, message and device of another organization. Each request's other fields are valid and point at Mallory's own things, so the
 * handler gets as far as it can. Per packet: the reply holds none of the victims' ids or content,
 * no victim gets an event, and each victim's state, read through their own socket, is unchanged.
 */

/** Field names that carry the id of something (matched at any depth of a packet's schema). */
const ID_FIELDS = new Set(['id', 'ids', 'cid', 'cids', 'mid', 'uids', 'participants', 'user_id', 'user_ids', 'recipients_ids', 'file_ids', 'file_id', 'device_udid', 'device_id', 'replied_message_id', 'forwarded_message_id', 'add', 'remove', 'deleted_for']);

type Path = readonly string[];
const isOptional = (s: TSchema): boolean => (s as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';
const kindOf = (s: TSchema): unknown => (s as unknown as Record<symbol, unknown>)[Kind];

/** Paths of id fields in a packet schema, optional ones included. */
function idPaths(schema: TSchema, prefix: Path = []): Path[] {
  const s = schema as TSchema & { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[] };
  if (kindOf(s) === 'Union') return (s.anyOf ?? []).flatMap((o) => idPaths(o, prefix));
  if (kindOf(s) !== 'Object') return [];
  const out: Path[] = [];
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    if (ID_FIELDS.has(key)) out.push([...prefix, key]);
    out.push(...idPaths(prop, [...prefix, key]));
  }
  return out;
}

/** Mallory's own things, used for every field the case does not aim at a victim. */
interface Own {
  readonly cid: string;
  readonly mid: string;
  readonly friend: string;
}

/** The smallest valid value of a schema, with Mallory's own ids in id-shaped strings. */
function minimal(schema: TSchema, own: Own, field = ''): unknown {
  const s = schema as TSchema & Record<string, any>;
  switch (kindOf(s)) {
    case 'Object':
      return Object.fromEntries(Object.entries((s.properties ?? {}) as Record<string, TSchema>).filter(([, p]) => !isOptional(p)).map(([k, p]) => [k, minimal(p, own, k)]));
    case 'Array':
      return Array.from({ length: Math.max(1, Number(s.minItems ?? 0)) }, () => minimal(s.items as TSchema, own, field));
    case 'String':
      if (field === 'cid' || field === 'cids' || field === 'id') return own.cid;
      if (field === 'mid') return own.mid;
      if (['uids', 'participants', 'user_id', 'user_ids', 'recipients_ids', 'add', 'remove'].includes(field)) return own.friend;
      if (field === 'type') return 'g';
      return 'probe'.padEnd(Number(s.minLength ?? 0), 'x');
    case 'Number':
    case 'Integer':
      return Number(s.minimum ?? 1);
    case 'Boolean':
      return false;
    case 'Literal':
      return s.const;
    case 'Union':
      return minimal((s.anyOf as TSchema[])[0] as TSchema, own, field);
    default:
      return {};
  }
}

/** `body` with the value at `path` set to `id` (an array of it where the schema wants a list). */
function aimed(body: unknown, schema: TSchema, path: Path, id: string): unknown {
  const copy = structuredClone(body) as Record<string, any>;
  let target = copy;
  let sch = schema as TSchema & Record<string, any>;
  for (const [i, key] of path.entries()) {
    while (kindOf(sch) === 'Union') sch = ((sch.anyOf as TSchema[]).find((o) => kindOf(o) === 'Object') ?? (sch.anyOf as TSchema[])[0]) as TSchema & Record<string, any>;
    const prop = (sch.properties as Record<string, TSchema & Record<string, any>>)[key] as TSchema & Record<string, any>;
    if (i === path.length - 1) {
      target[key] = kindOf(prop) === 'Array' ? [id] : id;
    } else {
      target[key] = typeof target[key] === 'object' && target[key] !== null ? target[key] : {};
      target = target[key];
      sch = prop;
    }
  }
  return copy;
}

function must(reply: Frame): Frame {
  if (reply.error !== undefined) throw new Error(`setup request failed: ${JSON.stringify(reply.error)}`);
  return reply;
}

interface Victim {
  readonly name: string;
  readonly client: TestClient;
  /** Reads of everything the victim owns or takes part in. */
  snapshot(): Promise<unknown>;
}

describe('authorization matrix: ids of things the caller may not touch', () => {
  let server: TestServer;
  let mallory: TestClient;
  let own: Own;
  const victims: Victim[] = [];
  /** Victim id → what it is; none of these may appear in a reply to Mallory. */
  const targets = new Map<string, string>();
  /** Content that must not leak either. */
  const secrets: string[] = [];
  const sockets: TestClient[] = [];

  before(async () => {
    server = await TestServer.start();
    const orgA = await server.createOrg();
    const orgB = await server.createOrg();
    const [m, trent, alice, bob] = await Promise.all([server.createUser(orgA), server.createUser(orgA), server.createUser(orgA), server.createUser(orgA)]);
    const [carol, dave] = await Promise.all([server.createUser(orgB), server.createUser(orgB)]);
    mallory = await server.loggedIn(m, 'm');
    const [ca, cb, cc, cd] = await Promise.all([server.loggedIn(alice, 'dev-alice'), server.loggedIn(bob, 'dev-bob'), server.loggedIn(carol, 'dev-carol'), server.loggedIn(dave, 'dev-dave')]);
    sockets.push(mallory, ca, cb, cc, cd);
    const cid = (await mallory.request('conversation_create', { type: 'g', name: 'mine', participants: [(trent)._id] })).conversation._id as string;
    const myMsg = await mallory.request('message', { id: 'own1', cid, body: 'mine' });
    own = { cid, mid: myMsg.ask.server_mid as string, friend: (trent)._id };

    // Each victim: a group with a message, a contact and a push subscription of their own.
    const furnish = async (c: TestClient, peer: TestUser, tag: string): Promise<{ cid: string; mid: string }> => {
      const g = (await c.request('conversation_create', { type: 'g', name: `secret-${tag}`, participants: [peer._id] })).conversation._id as string;
      const msg = await c.request('message', { id: `${tag}1`, cid: g, body: `secret-body-${tag}` });
      const contact = must(await c.request('contact_add', { first_name: `secret-contact-${tag}`, email: [{ type: 'home', value: `${tag}@secret.example` }] }));
      must(await c.request('push_subscription_create', { platform: 'ios', device_token: `secret-token-${tag}`, device_udid: `udid-${tag}` }));
      // An end-to-end key bundle of the victim's device (its id and keys must not leak).
      must(await c.request('device_register', { identity_key: `secret-identity-${tag}`, signed_key: `secret-signed-${tag}`, one_time_pre_keys: [`secret-prekey-${tag}`] }));
      targets.set(`dev-${tag}`, `${tag}'s device`);
      targets.set(g, `${tag}'s conversation`).set(msg.ask.server_mid as string, `${tag}'s message`).set(`udid-${tag}`, `${tag}'s subscription`);
      const contactId = (contact.contact?._id ?? contact._id) as string | undefined;
      assert.ok(contactId, `contact_add answered ${JSON.stringify(contact)}`);
      targets.set(contactId, `${tag}'s contact`);
      secrets.push(`secret-${tag}`, `secret-body-${tag}`, `secret-contact-${tag}`, `secret-token-${tag}`, `secret-identity-${tag}`, `secret-signed-${tag}`, `secret-prekey-${tag}`);
      return { cid: g, mid: msg.ask.server_mid as string };
    };
    const a = await furnish(ca, bob, 'alice');
    const c = await furnish(cc, dave, 'carol');
    targets.set((carol)._id, "another organization's user");
    const snapshot = (client: TestClient, g: { cid: string }, owner: TestUser, device: string) => async () => ({
      conversations: (await client.request('conversation_list', {})).conversations,
      messages: (await client.request('message_list', { cid: g.cid })).messages,
      participants: (await client.request('get_participants_by_cids', { cids: [g.cid] })).users,
      contacts: (await client.request('contact_list', {})).contacts,
      subscriptions: (await client.request('push_subscription_list', { user_id: 'me' })).subscriptions ?? null,
      blocked: (await client.request('list_blocked_users', {})).users,
      devices: (await client.request('device_list', {})).devices,
      preKeys: await server.node.store.encryptedDevices.preKeyCount(owner._id, device),
    });
    victims.push({ name: 'alice', client: ca, snapshot: snapshot(ca, a, alice, 'dev-alice') }, { name: 'bob', client: cb, snapshot: snapshot(cb, a, bob, 'dev-bob') }, { name: 'carol', client: cc, snapshot: snapshot(cc, c, carol, 'dev-carol') }, { name: 'dave', client: cd, snapshot: snapshot(cd, c, dave, 'dev-dave') });
    // Drop the setup's own events, so each packet's check starts clean.
    for (const v of victims) await v.client.collect(() => true, 100);
    const first = (await victims[0]?.snapshot()) as Record<string, unknown[]>;
    for (const part of ['conversations', 'messages', 'contacts', 'subscriptions', 'devices']) assert.equal(first[part]?.length, 1, `alice's ${part}: ${JSON.stringify(first[part])}`);
  });

  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await server.stop();
  });

  const kinds = [...HANDLERS.values()].filter((h) => h.auth).map((h) => ({ h, paths: idPaths(h.validator.schema) })).filter((k) => k.paths.length > 0);

  it('finds the id-taking packets in the registry', () => {
    assert.ok(kinds.length >= 30, `only ${kinds.length} packets take ids`);
    console.log(`# authorization matrix: ${kinds.length} packets, ${kinds.reduce((a, k) => a + k.paths.length, 0)} id fields`);
  });

  for (const { h, paths } of kinds) {
    it(`${h.kind} (${paths.map((p) => p.join('.')).join(', ')})`, async () => {
      const before = await Promise.all(victims.map((v) => v.snapshot()));
      const base = minimal(h.validator.schema, own);
      let cases = 0;
      for (const path of paths) {
        for (const [id, what] of targets) {
          const body = aimed(base, h.validator.schema, path, id);
          if (h.kind === 'message' || h.kind === 'system_message') (body as Frame).id = `probe-${h.kind}-${++cases}`;
          else cases += 1;
          const reply = h.kind === 'typing' ? await typingReply(body) : await mallory.request(h.kind, body);
          const { id: _replyId, ...rest } = reply;
          const text = JSON.stringify(rest);
          for (const [other, otherWhat] of targets) assert.ok(!text.includes(other), `${h.kind} with ${path.join('.')} = ${what}: the reply names ${otherWhat}: ${text.slice(0, 300)}`);
          for (const secret of secrets) assert.ok(!text.includes(secret), `${h.kind} with ${path.join('.')} = ${what}: the reply holds "${secret}"`);
        }
      }
      const events = await Promise.all(victims.map(async (v) => ({ name: v.name, frames: await v.client.collect(() => true, 100) })));
      for (const e of events) assert.deepEqual(e.frames, [], `${h.kind}: ${e.name} got events`);
      const afterState = await Promise.all(victims.map((v) => v.snapshot()));
      victims.forEach((v, i) => assert.deepEqual(afterState[i], before[i], `${h.kind}: ${v.name}'s state changed`));
      matrixCases += cases;
    });
  }

  it('ran every case', () => {
    console.log(`# authorization matrix: ${matrixCases} requests, ${targets.size} victim ids`);
    assert.ok(matrixCases > 100);
  });

  let matrixCases = 0;
  /** typing answers nothing on success: a silent typing is fine, its error is checked like any reply. */
  async function typingReply(body: unknown): Promise<Frame> {
    const id = `typing-${Math.random()}`;
    mallory.send({ request: { typing: body, id } });
    const got = await mallory.collect((f) => f.response?.id === id, 100);
    return (got[0]?.response ?? {}) as Frame;
  }
});
