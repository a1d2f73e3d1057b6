import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { EJSON, ObjectId, serialize, type Document } from 'bson';
import pg from 'pg';
import type { CliIo } from '../../src/cli/command.js';
import { runImportSama } from '../../src/cli/import-sama.js';
import type { ImportSummary } from '../../src/importer/summary.js';
import type { Frame } from '../helpers/client.js';
import { TestPostgres } from '../helpers/postgres.js';
import { samaPasswordFields, writeDump, writeGeneratedDump } from '../helpers/sama-dump.js';
import { TestServer, uniqueName } from '../helpers/server.js';

/**
 * A SAMA installation moves to Parley: a dump in SAMA's shapes (written here as mongodump .bson
 * and mongoexport .json files) is imported with `import-sama`, then Parley starts on that store
 * and SAMA's users carry on. Runs on SQLite, and on PostgreSQL in the --postgres pass.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const BASE = Math.floor(Date.UTC(2025, 4, 16, 9) / 1000);
let seq = 0;
/** An ObjectId made at `sec` (unix seconds), unique within the test. */
function oid(sec: number): ObjectId {
  seq += 1;
  return new ObjectId(sec.toString(16).padStart(8, '0') + (0xabc0000000 + seq).toString(16).padStart(10, '0') + seq.toString(16).padStart(6, '0'));
}
const at = (sec: number): Date => new Date(sec * 1000);

/** Where the import and the server keep their data: a fresh DATA_DIR, and a fresh database in the --postgres pass. */
async function freshStoreEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = { DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-import-')), LOG_LEVEL: 'silent' };
  if (process.env.PARLEY_TEST_STORE === 'postgres') env.DATABASE_URL = await (await TestPostgres.shared()).createDatabase();
  return env;
}

/** One number from the store the import wrote, through a read-only connection of the test's own. */
async function scalar(env: Record<string, string>, sql: string): Promise<number> {
  if (env.DATABASE_URL !== undefined) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return Number((await client.query<{ n: string | number }>(sql)).rows[0]?.n);
    } finally {
      await client.end();
    }
  }
  const db = new BetterSqlite3(join(env.DATA_DIR ?? '', 'parley.db'), { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare(sql).get() as { n: number } | undefined)?.n);
  } finally {
    db.close();
  }
}

/** Runs import-sama in-process; the summary comes from --json on stdout. */
async function runImport(dir: string, env: Record<string, string>, args: string[] = [], signal?: AbortSignal): Promise<{ code: number; summary: ImportSummary; stderr: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    env,
  };
  const code = await runImportSama([dir, '--json', ...args], io, { signal });
  return { code, summary: JSON.parse(out) as ImportSummary, stderr: err };
}

const byName = (s: ImportSummary, name: string) => {
  const c = s.collections.find((x) => x.collection === name);
  assert.ok(c, name);
  return c;
};

interface Fixture {
  readonly org: string;
  readonly alice: Document;
  readonly bob: Document;
  readonly carol: Document;
  readonly privateCid: string;
  readonly groupCid: string;
  /** Message ids of the private conversation, oldest first. */
  readonly privateIds: string[];
  readonly hiddenForBob: string;
  readonly fileObjectId: string;
  readonly refreshToken: string;
  /** Index (in privateIds) of the newest message bob has read. */
  readonly bobReadUpTo: number;
}

/** A small SAMA database: 3 users, a private chat of 25 messages and a group, with everything around them. */
async function writeSamaDump(dir: string, format: (collection: string) => 'bson' | 'json'): Promise<Fixture> {
  const org = new ObjectId();
  const suffix = uniqueName('');
  const user = (login: string, password: string | undefined, sec: number): Document => {
    const id = oid(sec);
    return {
      _id: id,
      organization_id: org,
      login,
      first_name: login.slice(0, 5),
      last_name: 'Sama',
      email: `${login}@example.com`,
      phone: '',
      ...(password !== undefined ? samaPasswordFields(password, `${login.slice(0, 4)}+/Zq9`) : {}),
      recent_activity: sec + 100,
      avatar_object: { file_id: 'aaaaaaaaaaaaaaaaaaaaaaaa', file_name: 'me.png' },
      avatar_url: 'https://old.example/avatar',
      created_at: at(sec),
      updated_at: at(sec),
    };
  };
  const alice = user(`alice${suffix}`, 'alice-pass', BASE);
  const bob = user(`bob${suffix}`, 'bob-pass', BASE + 1);
  const carol = user(`carol${suffix}`, undefined, BASE + 2);
  const privateConv = { _id: oid(BASE + 10), organization_id: org, type: 'u', owner_id: alice._id, opponent_id: bob._id, created_at: at(BASE + 10), updated_at: at(BASE + 10) };
  const group = { _id: oid(BASE + 11), organization_id: org, type: 'g', name: 'Team', description: 'SAMA group', owner_id: alice._id, subscribers_count: '', image_object: { file_id: 'bbbbbbbbbbbbbbbbbbbbbbbb', file_name: 'g.png' }, image_url: 'x', created_at: at(BASE + 11), updated_at: at(BASE + 11) };
  const participant = (c: Document, u: Document, role: string | null): Document => ({ _id: oid(BASE + 12), organization_id: org, conversation_id: c._id, user_id: u._id, role: role ?? '', created_at: at(BASE + 12), updated_at: at(BASE + 12) });
  // SAMA names stored objects with random 24-hex strings (not ObjectIds).
  const fileObjectId = 'c0ffee4e8b1c9d0a1b2c3d4e';
  const messages: Document[] = [];
  for (let i = 0; i < 25; i++) {
    const sec = BASE + 100 + i * 60;
    const from = i % 2 === 0 ? alice : bob;
    messages.push({
      _id: oid(sec),
      organization_id: org,
      cid: privateConv._id,
      from: from._id,
      body: `message ${i}`,
      t: sec,
      deleted_for: i === 7 ? [bob._id] : [],
      ...(i === 3 ? { attachments: [{ file_id: fileObjectId, file_name: 'shot.png', file_content_type: 'image/png', file_width: 10, file_height: 20 }] } : {}),
      ...(i === 5 ? { x: { type: 'custom', at: at(sec), ref: alice._id } } : {}),
      ...(i === 6 ? { replied_message_id: messages[5]?._id as ObjectId } : {}),
      created_at: at(sec),
      updated_at: at(sec),
    });
  }
  for (let i = 0; i < 5; i++) messages.push({ _id: oid(BASE + 3000 + i), organization_id: org, cid: group._id, from: carol._id, body: `group ${i}`, t: BASE + 3000 + i, x: {}, created_at: at(BASE + 3000 + i), updated_at: at(BASE + 3000 + i) });
  const privateIds = messages.filter((m) => m.cid === privateConv._id).map((m) => (m._id as ObjectId).toHexString());
  const bobReadUpTo = 20;
  const statuses = messages.filter((m, i) => m.cid === privateConv._id && m.from === alice._id && i <= bobReadUpTo).map((m) => ({ _id: oid(BASE + 5000), mid: m._id, cid: privateConv._id, user_id: bob._id, status: 'read', created_at: at(BASE + 5000), updated_at: at(BASE + 5000) }));
  const refreshToken = `sama-refresh-${suffix}`;
  const docs: Record<string, Document[]> = {
    organizations: [{ _id: org, name: `acme ${suffix}`, created_at: at(BASE - 10), updated_at: at(BASE - 10) }],
    users: [alice, bob, carol],
    user_tokens: [
      { _id: oid(BASE), organization_id: org, type: 'refresh', token: refreshToken, user_id: alice._id, device_id: 4073368485, created_at: new Date(), updated_at: new Date() },
      { _id: oid(BASE), organization_id: org, type: 'otp', token: 123456, user_id: alice._id, device_id: 'x', created_at: new Date(), updated_at: new Date() },
    ],
    conversations: [privateConv, group],
    conversations_participants: [participant(privateConv, alice, 'owner'), participant(privateConv, bob, null), participant(group, alice, 'owner'), participant(group, bob, null), participant(group, carol, 'admin')],
    messages,
    message_statuses: statuses,
    message_reactions: [{ _id: oid(BASE + 6000), mid: messages[2]?._id as ObjectId, user_id: bob._id, reaction: '👍', created_at: at(BASE + 6000), updated_at: at(BASE + 6000) }],
    files: [{ _id: oid(BASE + 399), organization_id: org, name: 'shot.png', size: 5235, content_type: 'image/png', object_id: fileObjectId, user_id: alice._id, created_at: at(BASE + 399), updated_at: at(BASE + 399) }],
    contacts: [{ _id: oid(BASE + 7000), organization_id: org, user_id: alice._id, first_name: 'Bob', last_name: 'B', company: 'ACME', email: [{ type: 'work', value: bob.email as string, matched_user_id: bob._id }], phone: [], created_at: at(BASE + 7000), updated_at: at(BASE + 7000) }],
    blocked_users: [{ _id: oid(BASE + 7001), organization_id: org, user_id: carol._id, blocked_user_id: bob._id, enabled: true, created_at: at(BASE + 7001), updated_at: at(BASE + 7001) }],
    push_subscriptions: [{ _id: oid(BASE + 7002), organization_id: org, platform: 'ios', device_token: 'apns-token-1', user_id: bob._id, device_udid: 'bob-phone', created_at: at(BASE + 7002), updated_at: at(BASE + 7002) }],
    push_events: [{ _id: oid(BASE + 7003), user_id: alice._id, user_ids: [bob._id.toHexString()], message: Buffer.from('{"title":"hi"}').toString('base64'), created_at: at(BASE + 7003), updated_at: at(BASE + 7003) }],
    conversation_handlers: [{ _id: oid(BASE + 7004), conversation_id: group._id, content: 'async function handler(m, u, accept) { return accept(); }\nexport default await handler(env.MESSAGE, env.USER, env.ACCEPT);', updated_by: alice._id, created_at: at(BASE + 7004), updated_at: at(BASE + 7004) }],
    encrypted_devices: [{ _id: oid(BASE + 7005), user_id: alice._id, device_id: 'laptop', identity_key: 'id-key-a', signed_key: 'signed-a', one_time_pre_keys: { 2: 'pk2', 1: 'pk1', x: 'pkx' }, created_at: new Date(), updated_at: new Date() }],
    cluster_nodes: [{ _id: oid(BASE), ip_address: '10.0.0.1', hostname: 'sama-1', port: 9000, users_count: 3 }],
  };
  await writeDump(dir, docs, format);
  // Three records that must be reported, not dropped: a message of an unknown conversation, a
  // user without a login, and (in a .json file) a line that is not JSON.
  const appendTo = (collection: string, doc: Document | string): void => {
    const f = format(collection);
    const path = join(dir, `${collection}.${f}`);
    if (typeof doc === 'string') appendFileSync(path, doc);
    else appendFileSync(path, f === 'bson' ? Buffer.from(serialize(doc)) : `${EJSON.stringify(doc)}\n`);
  };
  appendTo('messages', { _id: oid(BASE + 9000), organization_id: org, cid: new ObjectId(), from: alice._id, body: 'lost', t: BASE + 9000, created_at: at(BASE + 9000) });
  appendTo('users', { _id: oid(BASE + 9001), organization_id: org, first_name: 'Nameless', created_at: at(BASE) });
  if (format('users') === 'json') appendTo('users', '{"_id": {"$oid": "broken\n');
  return {
    org: org.toHexString(),
    alice,
    bob,
    carol,
    privateCid: privateConv._id.toHexString(),
    groupCid: group._id.toHexString(),
    privateIds,
    hiddenForBob: privateIds[7] ?? '',
    fileObjectId,
    refreshToken,
    bobReadUpTo,
  };
}

/** Collections as mongodump writes them, except users, conversations and tokens as mongoexport lines: both readers in one import. */
const MIXED = (collection: string): 'bson' | 'json' => (['users', 'conversations', 'user_tokens', 'message_statuses', 'contacts'].includes(collection) ? 'json' : 'bson');

describe('import-sama: a SAMA installation moves to Parley', () => {
  let dump: string;
  let fx: Fixture;
  let env: Record<string, string>;
  let first: ImportSummary;
  let server: TestServer | undefined;

  before(async () => {
    dump = mkdtempSync(join(tmpdir(), 'sama-dump-'));
    fx = await writeSamaDump(dump, MIXED);
    env = await freshStoreEnv();
  });
  after(async () => {
    await server?.stop();
    rmSync(dump, { recursive: true, force: true });
    rmSync(env.DATA_DIR ?? '', { recursive: true, force: true });
  });

  it('imports every collection, reports the bad records, and a second run adds nothing', async () => {
    const run1 = await runImport(dump, env);
    assert.equal(run1.code, 3, run1.stderr);
    first = run1.summary;
    assert.equal(first.complete, true);
    const counts = (name: string) => {
      const c = byName(first, name);
      return [c.imported, c.skipped, c.bad];
    };
    assert.deepEqual(counts('organizations'), [1, 0, 0]);
    assert.deepEqual(counts('users'), [3, 0, 2]);
    assert.deepEqual(counts('user_tokens'), [1, 1, 0]);
    assert.deepEqual(counts('conversations'), [2, 0, 0]);
    assert.deepEqual(counts('conversations_participants'), [5, 0, 0]);
    assert.deepEqual(counts('messages'), [30, 0, 1]);
    assert.deepEqual(counts('message_statuses'), [11, 0, 0]);
    for (const n of ['message_reactions', 'files', 'contacts', 'blocked_users', 'push_subscriptions', 'push_events', 'conversation_handlers', 'encrypted_devices']) assert.deepEqual(counts(n), [1, 0, 0], n);
    const users = byName(first, 'users');
    assert.equal(users.badReasons['no login'], 1);
    assert.ok(users.badRecords.some((b) => b.reason.startsWith('unreadable: not valid Extended JSON') && b.at === 5), JSON.stringify(users.badRecords));
    assert.equal(users.notes['no password in SAMA: the user must set one (user_send_otp, user_reset_password)'], 1);
    assert.equal(users.fieldsNotCarried.avatar_url?.count, 3);
    const lost = byName(first, 'messages').badRecords[0];
    assert.equal(lost?.at, 31);
    assert.match(lost?.reason ?? '', /^conversation not in the dump: [0-9a-f]{24}$/);
    assert.equal(byName(first, 'user_tokens').skippedReasons['password-reset codes are short-lived: ask for a new one'], 1);
    assert.ok(first.ignoredFiles.some((f) => f.name === 'cluster_nodes.bson'));
    assert.equal(first.totals.bad, 3);

    const run2 = await runImport(dump, env);
    assert.equal(run2.code, 3);
    assert.equal(run2.summary.totals.imported, 0);
    assert.equal(run2.summary.totals.bad, 3);
    assert.equal(run2.summary.totals.skipped, first.totals.imported + first.totals.skipped);
  });

  it('lets the users log in with their SAMA passwords, then keeps only argon2id', async () => {
    server = await TestServer.start(env);
    const store = server.node.store;
    const aliceId = (fx.alice._id as ObjectId).toHexString();
    assert.match((await store.users.byId(fx.org, aliceId))?.password_hash ?? '', /^sama-sha512x20\$/);
    const alice = { _id: aliceId, login: fx.alice.login as string, password: 'alice-pass', orgId: fx.org, user: {} };
    const a = await server.loggedIn(alice);
    await a.close();
    assert.match((await store.users.byId(fx.org, aliceId))?.password_hash ?? '', /^\$argon2id\$/);
    const again = await server.loggedIn(alice, 'd2');
    await again.close();
    const c = await server.client();
    const wrong = await c.request('user_login', { organization_id: fx.org, login: alice.login, password: 'alice-pasS', device_id: 'd3' });
    const nobody = await c.request('user_login', { organization_id: fx.org, login: 'nobody-here', password: 'alice-pass', device_id: 'd3' });
    assert.deepEqual(wrong.error, { status: 401, message: 'Incorrect username or password.' });
    assert.deepEqual(wrong.error, nobody.error);
    await c.close();

    // HTTP login (SAMA's recommended flow) upgrades too
    const bobId = (fx.bob._id as ObjectId).toHexString();
    const wrongHttp = await fetch(`${server.httpUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ organization_id: fx.org, login: fx.bob.login, password: 'alice-pass', device_id: 'web' }) });
    assert.equal(wrongHttp.status, 401);
    assert.match((await store.users.byId(fx.org, bobId))?.password_hash ?? '', /^sama-sha512x20\$/);
    const res = await fetch(`${server.httpUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ organization_id: fx.org, login: fx.bob.login, password: 'bob-pass', device_id: 'web' }) });
    assert.equal(res.status, 200);
    assert.match((await store.users.byId(fx.org, bobId))?.password_hash ?? '', /^\$argon2id\$/);

    // SAMA's refresh token of alice's phone still signs that device in
    const phone = await server.client();
    const byToken = await phone.request('user_login', { organization_id: fx.org, token: fx.refreshToken, device_id: 4073368485 });
    assert.equal(byToken.user?._id, aliceId, JSON.stringify(byToken));
    await phone.close();
  });

  it('shows the history in order with the same ids, read state, reactions and attachments', async () => {
    assert.ok(server);
    const alice = await server.loggedIn({ _id: '', login: fx.alice.login as string, password: 'alice-pass', orgId: fx.org, user: {} }, 'd4');
    const bob = await server.loggedIn({ _id: '', login: fx.bob.login as string, password: 'bob-pass', orgId: fx.org, user: {} }, 'd5');
    const listed = (await alice.request('message_list', { cid: fx.privateCid, limit: 30 })).messages as Frame[];
    assert.deepEqual(
      listed.map((m) => m._id),
      [...fx.privateIds].reverse(),
    );
    const m3 = listed.find((m) => m._id === fx.privateIds[3]);
    assert.equal(m3?.attachments?.[0]?.file_id, fx.fileObjectId);
    const m5 = listed.find((m) => m._id === fx.privateIds[5]);
    assert.deepEqual(m5?.x, { type: 'custom', at: new Date((BASE + 100 + 5 * 60) * 1000).toISOString(), ref: (fx.alice._id as ObjectId).toHexString() });
    assert.equal(listed.find((m) => m._id === fx.privateIds[2])?.reactions?.total?.['👍'], 1);
    // alice's messages up to the one bob read show "read"; later ones "sent"
    assert.equal(listed.find((m) => m._id === fx.privateIds[20])?.status, 'read');
    assert.equal(listed.find((m) => m._id === fx.privateIds[22])?.status, 'sent');
    const bobList = ((await bob.request('message_list', { cid: fx.privateCid, limit: 30 })).messages as Frame[]).map((m) => m._id as string);
    assert.equal(bobList.length, 24);
    assert.ok(!bobList.includes(fx.hiddenForBob));

    const convs = (await bob.request('conversation_list', {})).conversations as Frame[];
    const priv = convs.find((c) => c._id === fx.privateCid);
    assert.ok(priv, JSON.stringify(convs));
    assert.equal(priv.last_message?._id, fx.privateIds[24]);
    // unread for bob: alice's messages after the newest one he read (22 and 24)
    assert.equal(priv.unread_messages_count, 2);
    assert.equal(new Date(priv.updated_at as string).getTime(), (BASE + 100 + 24 * 60) * 1000);
    const group = convs.find((c) => c._id === fx.groupCid);
    assert.equal(group?.unread_messages_count, 5);
    assert.equal(group?.name, 'Team');

    // the attachment is visible to the conversation's participants (its object id kept)
    const urls = await bob.request('get_file_urls', { file_ids: [fx.fileObjectId] });
    assert.equal(typeof urls.file_urls?.[fx.fileObjectId], 'string', JSON.stringify(urls));
    const contacts = (await alice.request('contact_list', {})).contacts as Frame[];
    assert.equal(contacts[0]?.email?.[0]?.matched_user_id, (fx.bob._id as ObjectId).toHexString());
    await alice.close();
    await bob.close();
  });
});

describe('import-sama: an interrupted import finishes when run again', () => {
  it('stops between batches, and the rerun ends with everything stored once', async () => {
    const dump = mkdtempSync(join(tmpdir(), 'sama-dump-'));
    const env = await freshStoreEnv();
    try {
      await writeSamaDump(dump, () => 'bson');
      // Stops once the first batch of messages is committed: its progress line is the cue.
      const stop = new AbortController();
      let out = '';
      const io: CliIo = {
        stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
        stderr: {
          write: (s: string) => {
            if (s.startsWith('messages')) stop.abort();
            return true;
          },
        } as unknown as NodeJS.WritableStream,
        env,
      };
      const run1 = { code: await runImportSama([dump, '--json', '--batch-size', '4'], io, { signal: stop.signal }), summary: JSON.parse(out) as ImportSummary };
      assert.equal(run1.code, 130);
      assert.equal(run1.summary.complete, false);
      const partial = byName(run1.summary, 'messages');
      assert.equal(partial.status, 'interrupted');
      assert.ok(partial.imported > 0 && partial.imported < 30, String(partial.imported));
      assert.equal(run1.summary.collections.some((c) => c.collection === 'message_statuses'), false);

      const run2 = await runImport(dump, env, ['--batch-size', '4']);
      assert.equal(run2.code, 3);
      assert.equal(run2.summary.complete, true);
      const messages = byName(run2.summary, 'messages');
      assert.equal(messages.imported + partial.imported, 30);
      assert.equal(messages.skipped, partial.imported);
      assert.equal(await scalar(env, 'select count(*) as n from messages'), 30);
      assert.equal(await scalar(env, 'select count(*) as n from conversation_participants where last_read_message_id is not null'), 1);
      assert.equal(await scalar(env, 'select sum(participants_count) as n from conversations'), 5);
    } finally {
      rmSync(dump, { recursive: true, force: true });
      rmSync(env.DATA_DIR ?? '', { recursive: true, force: true });
    }
  });
});

describe('import-sama: a killed import finishes when run again', () => {
  it('survives SIGKILL in the middle of the messages, and the rerun stores every record once', async () => {
    const dump = mkdtempSync(join(tmpdir(), 'sama-dump-'));
    const env = await freshStoreEnv();
    try {
      const generated = await writeGeneratedDump(dump, 20_000, 200);
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'admin.ts'), 'import-sama', dump, '--quiet', '--batch-size', '200'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      // Kill once some messages are committed, seen through a read-only connection of the test's own.
      const countMessages = async (): Promise<number> => {
        try {
          return await scalar(env, 'select count(*) as n from messages');
        } catch {
          return 0; // the store is not created or migrated yet
        }
      };
      let atKill = 0;
      for (;;) {
        atKill = await countMessages();
        if (atKill > 0 || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.ok(atKill > 0 && atKill < 20_000, `killed at ${atKill} messages`);

      const rerun = await runImport(dump, env);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(rerun.summary.complete, true);
      for (const [name, n] of Object.entries(generated.counts)) {
        const c = byName(rerun.summary, name);
        assert.equal(c.imported + c.skipped, n, name);
        assert.equal(c.bad, 0, name);
      }
      const messages = byName(rerun.summary, 'messages');
      assert.ok(messages.skipped >= atKill, `${messages.skipped} found stored, ${atKill} seen before the kill`);
      const one = (sql: string): Promise<number> => scalar(env, sql);
      assert.equal(await one('select count(*) as n from messages'), 20_000);
      assert.equal(await one('select sum(participants_count) as n from conversations'), generated.counts.conversations_participants);
      assert.equal(await one('select count(*) as n from conversations c where updated_at < (select max(created_at) from messages m where m.cid = c.id)'), 0);
      assert.ok((await one('select count(*) as n from conversation_participants where last_read_message_id is not null')) > 0);
    } finally {
      rmSync(dump, { recursive: true, force: true });
      rmSync(env.DATA_DIR ?? '', { recursive: true, force: true });
    }
  });
});
