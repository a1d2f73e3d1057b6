import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame, TestClient } from '../helpers/client.js';
import { ADMIN_KEY, TestServer, type TestUser } from '../helpers/server.js';

const scratch = mkdtempSync(join(tmpdir(), 'parley-export-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Downloads an archive and unpacks it with the system's tar; returns the directory. */
async function unpack(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/gzip');
  const dir = mkdtempSync(join(scratch, 'x-'));
  const file = join(dir, 'export.tar.gz');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  execFileSync('tar', ['-xzf', file, '-C', dir]);
  return dir;
}

const readJson = (dir: string, name: string): any => JSON.parse(readFileSync(join(dir, name), 'utf8'));

async function upload(c: TestClient, name: string, bytes: Buffer): Promise<string> {
  const [f] = (await c.request('create_files', [{ name, size: bytes.length, content_type: 'application/octet-stream' }])).files as Frame[];
  assert.equal((await fetch(f?.upload_url as string, { method: 'PUT', body: bytes })).status, 200);
  return f?.object_id as string;
}

/** Alice (with a file, an avatar, an address book and messages) and Bob in a group; Carol elsewhere in the organization; Dan in another one. */
async function cast(server: TestServer) {
  const org = await server.createOrg();
  const [ua, ub, uc] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
  const ud = await server.createUser(await server.createOrg());
  const [a, b, c, d] = await Promise.all([server.loggedIn(ua), server.loggedIn(ub), server.loggedIn(uc), server.loggedIn(ud)]);
  const cid = (await a.request('conversation_create', { type: 'g', name: 'club', participants: [ub._id] })).conversation._id as string;
  const fileBytes = randomBytes(3000);
  const fileId = await upload(a, 'notes.bin', fileBytes);
  const avatarId = await upload(a, 'me.png', randomBytes(100));
  assert.ok((await a.request('user_edit', { first_name: 'Alice', avatar_object: { file_id: avatarId, file_name: 'me.png' } })).user);
  const mine = [(await a.request('message', { id: 'p1', cid, body: 'hello from alice', attachments: [{ file_id: fileId, file_name: 'notes.bin' }] })).ask.server_mid as string, (await a.request('message', { id: 'p2', cid, body: 'second' })).ask.server_mid as string];
  const theirs = (await b.request('message', { id: 'p3', cid, body: 'bob here' })).ask.server_mid as string;
  assert.ok((await a.request('contact_add', { first_name: 'Zed', email: [{ type: 'home', value: 'zed@example.com' }] })).contact);
  const close = async (): Promise<void> => void (await Promise.all([a, b, c, d].map((x) => x.close())));
  return { org, ua, ub, uc, a, b, c, d, cid, fileId, fileBytes, avatarId, mine, theirs, close };
}

describe('personal data export', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ DATA_EXPORT_POLL_INTERVAL_MS: '100' });
  });
  after(() => server.stop());

  it('builds the archive a user asked for and tells them, with their profile, conversations, own messages and files', async () => {
    const { ua, ub, a, cid, fileId, fileBytes, mine, theirs, close } = await cast(server);
    const started = (await a.request('parley_data_export', {})).export as Frame;
    assert.equal(started.status, 'pending');
    assert.equal(started.url, undefined);
    const ready = (await a.next((f) => f.parley_data_export_ready !== undefined, 10_000)).parley_data_export_ready.export as Frame;
    assert.equal(ready._id, started._id);
    assert.equal(ready.status, 'ready');
    assert.ok(ready.size > 0);
    const dir = await unpack(ready.url as string);
    const profile = readJson(dir, 'profile.json');
    assert.equal(profile.user._id, ua._id);
    assert.equal(profile.user.login, ua.login);
    assert.equal(profile.user.first_name, 'Alice');
    assert.equal(profile.user.email, `${ua.login.toLowerCase()}@example.com`);
    assert.doesNotMatch(readFileSync(join(dir, 'profile.json'), 'utf8'), /password/);
    assert.deepEqual(readJson(dir, 'contacts.json').map((x: Frame) => x.first_name), ['Zed']);
    const convs = readJson(dir, 'conversations.json');
    assert.deepEqual(convs.map((x: Frame) => [x._id, [...x.participants].sort(), x.your_role]), [[cid, [ua._id, ub._id].sort(), 'owner']]);
    const messages = readdirSync(join(dir, 'messages')).flatMap((n) => readJson(join(dir, 'messages'), n) as Frame[]);
    assert.deepEqual(messages.map((m) => m._id), mine);
    assert.ok(!messages.some((m) => m._id === theirs));
    assert.equal(messages[0]?.body, 'hello from alice');
    const files = readJson(dir, 'files.json') as Frame[];
    assert.equal(files.length, 2);
    assert.deepEqual(readFileSync(join(dir, 'files', fileId)), fileBytes);
    assert.ok(readFileSync(join(dir, 'README.txt'), 'utf8').includes('messages/NNNNNN.json'));
    // The status packet gives the same job and a working URL.
    const status = (await a.request('parley_data_export_status', { id: started._id })).export as Frame;
    assert.equal(status.status, 'ready');
    assert.equal((await fetch(status.url as string)).status, 200);
    await close();
  });

  it("refuses another user's or organization's export, a tampered URL, a second request too soon and bad input", async () => {
    const { a, b, d, close } = await cast(server);
    const job = (await a.request('parley_data_export', {})).export as Frame;
    const ready = (await a.next((f) => f.parley_data_export_ready !== undefined, 10_000)).parley_data_export_ready.export as Frame;
    const notFound = { status: 404, message: 'Export not found.' };
    assert.deepEqual((await b.request('parley_data_export_status', { id: job._id })).error, notFound);
    assert.deepEqual((await d.request('parley_data_export_status', { id: job._id })).error, notFound);
    assert.deepEqual((await a.request('parley_data_export_status', { id: '0123456789abcdef01234567' })).error, notFound);
    assert.deepEqual((await a.request('parley_data_export', {})).error, { status: 429, message: 'Too many requests.' });
    assert.equal((await a.request('parley_data_export_status', {})).error, '"id" is required');
    assert.equal((await a.request('parley_data_export_status', { id: 5 })).error, '"id" must be a string');
    assert.equal((await a.request('parley_data_export', { user_id: 'someone' })).error, '"user_id" is not allowed');
    const url = new URL(ready.url as string);
    const tampered = new URL(url);
    tampered.searchParams.set('signature', `${url.searchParams.get('signature')?.slice(0, -2) ?? ''}AA`);
    assert.equal((await fetch(tampered)).status, 403);
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    assert.equal((await fetch(longer)).status, 403);
    const other = new URL(url);
    other.pathname = '/exports/0123456789abcdef01234567';
    assert.equal((await fetch(other)).status, 403);
    // Still connected and working.
    assert.equal(((await a.request('parley_data_export_status', { id: job._id })).export as Frame).status, 'ready');
    await close();
  });

  it('lets an admin export a user over HTTP, producing the same archive, behind the key', async () => {
    const { org, ua, uc, cid, mine, close } = await cast(server);
    const call = (method: string, path: string, body?: unknown, key = ADMIN_KEY) =>
      fetch(`${server.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', 'admin-api-key': key }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    assert.equal((await call('POST', '/admin/user/export', { organizationId: org, userId: ua._id }, 'wrong')).status, 401);
    assert.equal((await call('POST', '/admin/user/export', { organizationId: org, userId: '0123456789abcdef01234567' })).status, 422);
    assert.equal((await call('POST', '/admin/user/export', { organizationId: '0123456789abcdef01234567', userId: ua._id })).status, 404);
    assert.equal((await call('POST', '/admin/user/export', { organizationId: org })).status, 422);
    const created = await call('POST', '/admin/user/export', { organizationId: org, userId: ua._id });
    assert.equal(created.status, 201);
    const job = ((await created.json()) as Frame).export as Frame;
    let state: Frame = job;
    for (let i = 0; i < 100 && state.status !== 'ready'; i++) {
      await sleep(100);
      state = ((await (await call('GET', `/admin/user/export?organizationId=${org}&userId=${ua._id}&id=${job._id as string}`)).json()) as Frame).export as Frame;
    }
    assert.equal(state.status, 'ready');
    assert.equal((await call('GET', `/admin/user/export?organizationId=${org}&userId=${uc._id}&id=${job._id as string}`)).status, 404);
    const dir = await unpack(state.url as string);
    assert.deepEqual(readJson(dir, 'conversations.json').map((x: Frame) => x._id), [cid]);
    assert.deepEqual(readdirSync(join(dir, 'messages')).flatMap((n) => readJson(join(dir, 'messages'), n) as Frame[]).map((m) => m._id), mine);
    await close();
  });

  it('lets an admin erase a user: account, profile, avatar, files, messages, tokens, devices and address book go; their sockets close', async () => {
    const { org, ua, ub, a, b, cid, fileId, avatarId, mine, theirs, close } = await cast(server);
    const store = server.node.store;
    assert.ok((await a.request('push_subscription_create', { platform: 'ios', device_udid: 'phone', device_token: 'tok' })).subscription);
    const url = (await b.request('get_file_urls', { file_ids: [fileId] })).file_urls[fileId] as string;
    const call = (body: unknown, key = ADMIN_KEY) => fetch(`${server.httpUrl}/admin/user`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'admin-api-key': key }, body: JSON.stringify(body) });
    assert.equal((await call({ organizationId: org, userId: ua._id }, 'wrong')).status, 401);
    assert.equal((await call({ organizationId: org, userId: ua._id, keepMessages: 'yes' })).status, 422);
    assert.equal((await call({ organizationId: org, userId: '0123456789abcdef01234567' })).status, 422);
    const res = await call({ organizationId: org, userId: ua._id });
    assert.equal(res.status, 200);
    const out = (await res.json()) as Frame;
    assert.equal(out.success, true);
    assert.ok(out.removed.messages >= 2);
    assert.equal((await a.closed).code, 4001);
    assert.deepEqual(await store.admin.countUser(org, ua._id), {});
    assert.equal(await store.users.byId(org, ua._id), undefined);
    for (const id of [fileId, avatarId]) assert.equal(await store.files.byObjectId(id), undefined);
    assert.equal((await fetch(url)).status, 404);
    assert.equal((await store.pushSubscriptions.forUser(org, ua._id)).length, 0);
    // What Bob received from Alice is gone; what Bob wrote stays.
    const left = ((await b.request('message_list', { cid })).messages as Frame[]).map((m) => m._id);
    assert.deepEqual(left, [theirs]);
    assert.ok(!mine.some((id) => left.includes(id)));
    const relogin = await server.client();
    assert.equal((await relogin.request('user_login', { organization_id: org, login: ua.login, password: ua.password, device_id: 'd2' })).error?.status, 401);
    await relogin.close();
    assert.equal((await call({ organizationId: org, userId: ua._id })).status, 422);
    await close();
    void ub;
  });
});

describe('user_delete (SAMA) as an erasure that keeps messages', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('removes the profile, avatar, address book, devices and exports; messages, memberships and attachments stay', async () => {
    const { org, ua, a, b, cid, fileId, avatarId, mine, theirs, close } = await cast(server);
    const store = server.node.store;
    assert.ok((await a.request('push_subscription_create', { platform: 'ios', device_udid: 'phone', device_token: 'tok' })).subscription);
    assert.ok((await a.request('parley_data_export', {})).export);
    assert.deepEqual((await a.request('user_delete', {})).success, true);
    assert.equal(await store.users.byId(org, ua._id), undefined);
    assert.equal(await store.files.byObjectId(avatarId), undefined);
    assert.ok(await store.files.byObjectId(fileId), 'an attachment others received stays');
    const left = await store.admin.countUser(org, ua._id);
    const kept = new Set(['conversation_participants', 'files', 'messages', 'message_statuses', 'message_reactions', 'message_hidden']);
    assert.deepEqual(Object.keys(left).filter((t) => !kept.has(t)), [], JSON.stringify(left));
    assert.equal(left.messages, mine.length);
    assert.equal(left.contacts, undefined);
    assert.equal(left.push_subscriptions, undefined);
    assert.equal(left.data_exports, undefined);
    const listed = ((await b.request('message_list', { cid })).messages as Frame[]).map((m) => m._id).sort();
    assert.deepEqual(listed, [...mine, theirs].sort());
    await close();
  });
});

describe('personal data export jobs over time', () => {
  it('survive a restart, and expire with their archive and URL', async () => {
    const server = await TestServer.start({ DATA_EXPORT_POLL_INTERVAL_MS: '3600000', DATA_EXPORT_EXPIRES_IN: '6' });
    try {
      const org = await server.createOrg();
      const user: TestUser = await server.createUser(org);
      let c = await server.loggedIn(user);
      const job = (await c.request('parley_data_export', {})).export as Frame;
      await sleep(300);
      assert.equal(((await c.request('parley_data_export_status', { id: job._id })).export as Frame).status, 'pending');
      await c.close();
      await server.restart({ DATA_EXPORT_POLL_INTERVAL_MS: '100' });
      // Built while the user is offline.
      await sleep(1000);
      c = await server.loggedIn(user);
      let state: Frame = job;
      for (let i = 0; i < 50 && state.status !== 'ready'; i++) {
        await sleep(50);
        state = (await c.request('parley_data_export_status', { id: job._id })).export as Frame;
      }
      assert.equal(state.status, 'ready');
      assert.equal((await fetch(state.url as string)).status, 200);
      // The user was offline when it finished: the event waits in the operations log.
      const logs = (await c.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[];
      assert.ok(logs.some((r) => (JSON.parse(r.packet) as Frame).parley_data_export_ready?.export._id === job._id), JSON.stringify(logs));
      await sleep(Math.max(0, Date.parse(state.expires_at as string) - Date.now()) + 1200);
      const expired = await fetch(state.url as string);
      assert.equal(expired.status, 403);
      assert.equal(await expired.text(), 'This URL has expired.');
      assert.deepEqual((await c.request('parley_data_export_status', { id: job._id })).error, { status: 404, message: 'Export not found.' });
      assert.equal(await server.node.store.exports.byId(org, user._id, job._id as string), undefined);
      await c.close();
    } finally {
      await server.stop();
    }
  });
});
