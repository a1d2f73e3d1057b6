import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

describe('envelope and dispatch over a real WebSocket', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('answers ping before login', async () => {
    const c = await server.client();
    assert.deepEqual(await c.request('ping'), { id: 'r1', pong: {} });
    await c.close();
  });

  it('answers malformed JSON with 400 and keeps the socket usable', async () => {
    const c = await server.client();
    c.sendRaw('{not json');
    assert.deepEqual(await c.next(), { response: { error: { status: 400, message: 'Bad request - invalid data format' } } });
    c.sendRaw('{"also": broken');
    assert.deepEqual(await c.next(), { response: { error: { status: 400, message: 'Bad request - invalid data format' } } });
    assert.deepEqual(await c.request('ping'), { id: 'r1', pong: {} });
    await c.close();
  });

  // Found by the fuzz test: a message whose `x` nested thousands deep was stored and acked, and
  // its delivery then overflowed the stack in JSON.stringify, so the recipients never got it.
  it('refuses frames nested deeper than 64 levels with 400, and delivers messages nested less', async () => {
    const org = await server.createOrg();
    const [a, b] = [await server.createUser(org), await server.createUser(org)];
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const nested = (depth: number): string => `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;
    // The reply carries the id when it can be read from the frame's start.
    ca.sendRaw(`{"message":{"id":"deep1","cid":"${cid}","body":"hi","x":${nested(5000)}}}`);
    assert.deepEqual(await ca.next(), { message: { id: 'deep1', error: { status: 400, message: 'Bad request - invalid data format' } } });
    ca.sendRaw(`{"request":{"ping":${'['.repeat(100_000)}${']'.repeat(100_000)},"id":"p1"}}`);
    assert.deepEqual(await ca.next(), { response: { error: { status: 400, message: 'Bad request - invalid data format' } } });
    // Brackets inside strings do not count.
    ca.sendRaw(`{"message":{"id":"deep2","cid":"${cid}","body":"${'['.repeat(500)}","x":${nested(50)}}}`);
    assert.equal((await ca.next((f) => f.ask !== undefined)).ask.mid, 'deep2');
    const got = await cb.next((f) => f.message !== undefined);
    assert.equal(got.message.body, '['.repeat(500));
    assert.deepEqual(await ca.request('ping'), { id: 'r3', pong: {} });
    await Promise.all([ca.close(), cb.close()]);
  });

  it('answers an unknown packet with 404 Route not found in the request envelope', async () => {
    const c = await server.client();
    c.send({ request: { no_such_packet: {}, id: 'x1' } });
    assert.deepEqual(await c.next(), { response: { id: 'x1', error: { status: 404, message: 'Route not found' } } });
    await c.close();
  });

  it('refuses authenticated packets before login with 401', async () => {
    const c = await server.client();
    c.send({ request: { user_logout: {}, id: 'a' } });
    assert.deepEqual(await c.next(), { response: { id: 'a', error: { status: 401, message: 'Unauthorized.' } } });
    // a bare packet gets its error under its own key, with the id from its body
    c.send({ user_logout: { id: 'm1' } });
    assert.deepEqual(await c.next(), { user_logout: { id: 'm1', error: { status: 401, message: 'Unauthorized.' } } });
    await c.close();
  });

  it('answers an oversized frame with 413, then closes the socket with 1009', async () => {
    const s = await TestServer.start({ WS_MAX_FRAME_BYTES: '2048' });
    try {
      const c = await s.client();
      assert.deepEqual(await c.request('ping'), { id: 'r1', pong: {} });
      c.sendRaw(JSON.stringify({ request: { ping: { pad: 'x'.repeat(5000) }, id: 'big' } }));
      assert.deepEqual(await c.next(), { response: { error: { status: 413, message: 'Payload too large.' } } });
      assert.deepEqual(await c.closed, { code: 1009, reason: 'Payload too large.' });
    } finally {
      await s.stop();
    }
  });

  it('creates a user and logs in with a password, then connects with the token on another socket', async () => {
    const orgId = await server.createOrg();
    const u = await server.createUser(orgId);
    assert.equal(u.user.login, u.login);
    assert.equal(u.user.native_id, u._id);
    assert.equal(u.user.password_hash, undefined);
    assert.equal(u.user.organization_id, undefined);
    const c1 = await server.client();
    const login = await c1.request('user_login', { organization_id: orgId, login: u.login, password: u.password, device_id: 'dev-a' });
    assert.equal(typeof login.token, 'string');
    const c2 = await server.client();
    assert.deepEqual(await c2.request('connect', { token: login.token, device_id: 'dev-b' }), { id: 'r1', error: { status: 422, message: 'The token has expired.' } });
    assert.deepEqual(await c2.request('connect', { token: login.token, device_id: 'dev-a' }), { id: 'r2', success: true });
    // The first socket of device dev-a is replaced and closed.
    const closed = await c1.closed;
    assert.equal(closed.code, 4000);
    await c2.close();
  });
});

describe('SAMA watchdog pings (WATCHDOG_PING_SOCKET_INTERVAL)', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ WATCHDOG_PING_SOCKET_INTERVAL: '100' });
  });
  after(() => server.stop());

  it('pings authenticated sockets only, and the socket stays usable', async () => {
    const anon = await server.client();
    const c = await server.loggedIn(await server.createUser(await server.createOrg()));
    assert.deepEqual(await c.next((f) => f.response?.ping !== undefined), { response: { ping: {} } });
    assert.deepEqual(await c.next((f) => f.response?.ping !== undefined), { response: { ping: {} } });
    assert.deepEqual(await anon.collect(() => true, 300), []);
    assert.equal((await c.request('ping')).pong !== undefined, true);
    await Promise.all([anon.close(), c.close()]);
  });
});
