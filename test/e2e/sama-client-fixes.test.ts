import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { startParley } from '../../src/main.js';
import type { TestClient } from '../helpers/client.js';
import { ADMIN_KEY, TestServer, type TestUser } from '../helpers/server.js';

/** Last-activity values `watcher` received about `target` within `ms`. */
async function activityOf(watcher: TestClient, target: TestUser, ms = 300): Promise<number[]> {
  const frames = await watcher.collect((f) => f.last_activity?.[target._id] !== undefined, ms);
  return frames.map((f) => f.last_activity[target._id] as number);
}

describe('what SAMA clients hit: presence when a socket signs in again', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  /** A watcher subscribed to `t`, who is online on socket `ct` (device d1). */
  async function watched(): Promise<{ w: TestClient; t: TestUser; ct: TestClient; org: string }> {
    const org = await server.createOrg();
    const [wu, t] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const w = await server.loggedIn(wu);
    await w.request('user_last_activity_subscribe', { id: t._id });
    const ct = await server.loggedIn(t, 'd1');
    assert.deepEqual(await activityOf(w, t), [0]);
    return { w, t, ct, org };
  }

  it('a second password login on the same socket, same device or another, announces no offline', async () => {
    const { w, t, ct, org } = await watched();
    for (const device of ['d1', 'd2', 'd1']) {
      const r = await ct.request('user_login', { organization_id: org, login: t.login, password: t.password, device_id: device });
      assert.ok(r.token);
      assert.deepEqual(await activityOf(w, t), [], `re-login on ${device}`);
    }
    assert.equal((await w.request('user_last_activity', { ids: [t._id] })).last_activity[t._id], 0);
    // The socket now serves d1 only: closing it is the user's real sign-out.
    await ct.close();
    const [off] = await activityOf(w, t, 1000);
    assert.ok(off !== undefined && off > 0);
    await w.close();
  });

  it('a token login and connect on the same socket announce no offline', async () => {
    const { w, t, ct, org } = await watched();
    const token = (await ct.request('user_login', { organization_id: org, login: t.login, password: t.password, device_id: 'd1' })).token as string;
    assert.equal((await ct.request('connect', { token, device_id: 'd1' })).success, true);
    assert.ok((await ct.request('user_login', { organization_id: org, token, device_id: 'd1' })).token);
    assert.deepEqual(await activityOf(w, t), []);
    assert.equal((await ct.request('user_last_activity', { ids: [t._id] })).last_activity[t._id], 0);
    await ct.close();
    await w.close();
  });

  it('signing a socket in as another user is the first user signing out', async () => {
    const { w, t, ct, org } = await watched();
    const other = await server.createUser(org);
    assert.ok((await ct.request('user_login', { organization_id: org, login: other.login, password: other.password, device_id: 'd9' })).token);
    const [off] = await activityOf(w, t, 1000);
    assert.ok(off !== undefined && off > 0, 'the first user went offline');
    await ct.close();
    await w.close();
  });

  it('a device that reconnects at once is online in the end, whatever order the two notices take', async () => {
    const { w, t, ct } = await watched();
    await ct.close();
    const again = await server.loggedIn(t, 'd1');
    const seen = await activityOf(w, t, 400);
    assert.equal(seen.at(-1), 0, `last notice says online: ${JSON.stringify(seen)}`);
    assert.equal((await w.request('user_last_activity', { ids: [t._id] })).last_activity[t._id], 0);
    await again.close();
    await w.close();
  });
});

describe('what SAMA clients hit: replies that can be matched', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ WS_MAX_FRAME_BYTES: '4096' });
  });
  after(() => server.stop());

  it('answers a request with an id but no packet name under response with that id', async () => {
    const c = await server.client();
    c.sendRaw('{"request":{"id":"no-name"}}');
    assert.deepEqual(await c.next((f) => f.response?.id === 'no-name'), { response: { id: 'no-name', error: { status: 400, message: 'Bad request - invalid data format' } } });
    c.sendRaw('{"id":17}');
    assert.deepEqual(await c.next((f) => f.response?.id === 17), { response: { id: 17, error: { status: 400, message: 'Bad request - invalid data format' } } });
    c.sendRaw('{"request":{"id":"cut","message_list":{"cid":');
    assert.deepEqual(await c.next((f) => f.response?.id === 'cut'), { response: { id: 'cut', error: { status: 400, message: 'Bad request - invalid data format' } } });
    // The socket keeps working.
    assert.equal((await c.request('ping', {})).error, undefined);
    await c.close();
  });

  it('answers an oversized frame with 413 and the id read from its start', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const c = await server.loggedIn(u);
    const pad = 'x'.repeat(8000);
    c.sendRaw(JSON.stringify({ request: { id: 'big-1', message_list: { cid: pad } } }));
    assert.deepEqual(await c.next((f) => f.response?.id === 'big-1'), { response: { id: 'big-1', error: { status: 413, message: 'Payload too large.' } } });
    c.sendRaw(JSON.stringify({ message: { id: 'big-m', cid: '0123456789abcdef01234567', body: pad } }));
    assert.deepEqual(await c.next((f) => f.message?.id === 'big-m'), { message: { id: 'big-m', error: { status: 413, message: 'Payload too large.' } } });
    // The socket keeps working.
    assert.ok((await c.request('conversation_list', {})).conversations);
    await c.close();
  });
});

describe('what SAMA clients hit: HTTP bodies', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  const post = (path: string, init: { body?: string; type?: string; headers?: Record<string, string> }) =>
    fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { ...(init.type ? { 'content-type': init.type } : {}), ...init.headers }, ...(init.body === undefined ? {} : { body: init.body }) });

  it('reads an empty JSON body as {} on every route', async () => {
    const login = await post('/login', { type: 'application/json' });
    assert.equal(login.status, 422);
    assert.equal(await login.text(), "'device_id' is required.");
    const logout = await post('/logout', { type: 'application/json; charset=utf-8' });
    assert.equal(logout.status, 401);
    assert.equal(await logout.text(), 'Missing authentication credentials.');
    const org = await post('/admin/organization', { type: 'application/json', headers: { 'admin-api-key': ADMIN_KEY } });
    assert.notEqual(org.status, 400);
    assert.notEqual(org.status, 500);
  });

  it('ignores bodies of other content types, and refuses a JSON body that does not parse', async () => {
    const plain = await post('/login', { type: 'text/plain', body: '{"device_id":"x"}' });
    assert.equal(plain.status, 422);
    assert.equal(await plain.text(), "'device_id' is required.");
    const broken = await post('/login', { type: 'application/json', body: '{"device_id":' });
    assert.equal(broken.status, 400);
    assert.equal(await broken.text(), 'Bad request - invalid data format');
    const array = await post('/login', { type: 'application/json', body: '["device_id"]' });
    assert.equal(array.status, 422);
    const deep = await post('/login', { type: 'application/json', body: `{"device_id":"d","x":${'['.repeat(100)}${']'.repeat(100)}}` });
    assert.equal(deep.status, 400);
  });

  it('logs a device out when the body is empty, as the SDK sends it', async () => {
    const orgId = await server.createOrg();
    const u = await server.createUser(orgId);
    const login = await post('/login', { type: 'application/json', body: JSON.stringify({ organization_id: orgId, login: u.login, password: u.password, device_id: 'sdk' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const token = ((await login.json()) as { access_token: string }).access_token;
    const c = await server.client();
    assert.equal((await c.request('connect', { token, device_id: 'sdk' })).success, true);
    const out = await post('/logout', { type: 'application/json', headers: { authorization: `Bearer ${token}`, cookie } });
    assert.equal(out.status, 200);
    assert.deepEqual(await out.json(), { success: true });
    assert.deepEqual((await c.request('conversation_list', {})).error, { status: 401, message: 'Unauthorized.' });
    await c.close();
  });
});

describe('what SAMA clients hit: start-up settings', () => {
  /** Starts a node with `env`, capturing its log lines. */
  async function startCapturing(env: Record<string, string>): Promise<{ lines: Record<string, unknown>[]; close: () => Promise<void>; port: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-fixes-'));
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const node = await startParley(loadConfig({ APP_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'warn', HTTP_ADMIN_API_KEY: ADMIN_KEY, ...env }), pino({ level: 'warn' }, sink));
    return { lines, port: node.port, close: async () => { await node.close(); rmSync(dir, { recursive: true, force: true }); } };
  }

  it("warns at start-up that CORS_ORIGIN='*' stops browser logins, and not when an origin is set", async () => {
    const star = await startCapturing({ BIND_HOST: '127.0.0.1' });
    assert.ok(star.lines.some((l) => String(l.msg).includes('CORS_ORIGIN')), JSON.stringify(star.lines));
    await star.close();
    const set = await startCapturing({ BIND_HOST: '127.0.0.1', CORS_ORIGIN: 'http://localhost:3000' });
    assert.equal(set.lines.some((l) => String(l.msg).includes('CORS_ORIGIN')), false);
    await set.close();
  });

  it('names localhost in local file URLs when PUBLIC_URL is unset, as the README says, and they work', async () => {
    const node = await startCapturing({ BIND_HOST: '0.0.0.0', CORS_ORIGIN: 'http://localhost:3000' });
    try {
      const { TestClient } = await import('../helpers/client.js');
      const c = await TestClient.open(`ws://127.0.0.1:${node.port}/`);
      const login = `u${Date.now().toString(36)}`;
      assert.ok((await c.request('user_create', { organization_id: 'default', login, password: 'pass-word', email: `${login}@example.com` })).user);
      assert.ok((await c.request('user_login', { organization_id: 'default', login, password: 'pass-word', device_id: 'd' })).token);
      const [f] = (await c.request('create_files', [{ name: 'a.txt', size: 2, content_type: 'text/plain' }])).files as { upload_url: string }[];
      assert.ok(f);
      assert.ok(f.upload_url.startsWith(`http://localhost:${node.port}/files/`), f.upload_url);
      assert.equal((await fetch(f.upload_url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hi' })).status, 200);
      await c.close();
    } finally {
      await node.close();
    }
  });
});
