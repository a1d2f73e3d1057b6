import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ConnectionError, ParleyClient, ParleyError, type ClientState, type Events, type ParleyClientOptions } from '../../packages/client/src/index.js';
import { TestServer, type TestUser } from '../helpers/server.js';

/** Resolves with the first `name` event matching `where`, or rejects after `ms`. */
function nextEvent<K extends keyof Events>(client: ParleyClient, name: K, where: (e: Events[K]) => boolean = () => true, ms = 3000): Promise<Events[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    const off = client.on(name, ((e: Events[K]) => {
      if (!where(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    }) as never);
  });
}

describe('@parley/client against Parley', () => {
  let server: TestServer;
  let org: string;
  let a: TestUser;
  let b: TestUser;
  const clients: ParleyClient[] = [];

  before(async () => {
    server = await TestServer.start({ COOKIE_SECURE: 'false' });
    org = await server.createOrg();
    [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  const client = (extra: Partial<ParleyClientOptions> = {}): ParleyClient => {
    const c = new ParleyClient({ url: server.wsUrl, WebSocket, organizationId: org, storage: null, ...extra });
    clients.push(c);
    return c;
  };

  it('logs in over the WebSocket, sends typed requests and messages, and hears typed events', async () => {
    const ca = client({ deviceId: 'sdk-a1' });
    const cb = client({ deviceId: 'sdk-b1' });
    const states: ClientState[] = [];
    ca.on('state', (s) => states.push(s));
    const me = await ca.login({ login: a.login, password: a.password });
    assert.equal(me._id, a._id);
    assert.equal(ca.state, 'ready');
    assert.deepEqual(states, ['connecting', 'authenticating', 'ready']);
    assert.equal((await cb.login({ login: b.login, password: b.password }))._id, b._id);

    const created = nextEvent(cb, 'system_message', (e) => e.x.conversation_created !== undefined);
    const { conversation } = await ca.request('conversation_create', { type: 'g', name: 'sdk', participants: [b._id] });
    assert.equal(conversation.type, 'g');
    assert.equal((await created).x.conversation_created?._id, conversation._id);

    const arrived = nextEvent(cb, 'message');
    const metas: string[] = [];
    cb.on('message', (_m, meta) => metas.push(meta.source));
    const ask = await ca.send({ cid: conversation._id, body: 'hello', x: { n: 1 } });
    assert.match(ask.server_mid, /^[0-9a-f]{24}$/);
    assert.equal(typeof ask.mid, 'string');
    const m = await arrived;
    assert.equal(m._id, ask.server_mid);
    assert.equal(m.body, 'hello');
    assert.deepEqual(m.x, { n: 1 });
    assert.deepEqual(metas, ['live']);

    // A resend of the same id is answered with the same message and not delivered again.
    const again = await ca.send({ id: ask.mid, cid: conversation._id, body: 'hello' });
    assert.equal(again.server_mid, ask.server_mid);

    const read = nextEvent(ca, 'message_read');
    await cb.request('message_read', { cid: conversation._id });
    assert.deepEqual((await read).ids, [ask.server_mid]);
    const typing = nextEvent(cb, 'typing');
    ca.typing(conversation._id, 'start');
    assert.equal((await typing).status, 'start');
    const { messages } = await cb.request('message_list', { cid: conversation._id });
    assert.deepEqual(messages.map((x) => x._id), [ask.server_mid]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(metas, ['live'], 'the resent message was not delivered again');
  });

  it('rejects with ParleyError carrying SAMA status and message, and with timeouts and aborts', async () => {
    const ca = client({ deviceId: 'sdk-a2' });
    await assert.rejects(ca.login({ login: a.login, password: 'wrong-password' }), (err: unknown) => err instanceof ParleyError && err.status === 401 && err.message === 'Incorrect username or password.' && err.packet === 'user_login');
    await assert.rejects(ca.request('conversation_list', {}), (err: unknown) => err instanceof ConnectionError && err.code === 'unauthenticated');
    await ca.login({ login: a.login, password: a.password });
    await assert.rejects(ca.request('message_list', { cid: '0'.repeat(24) }), (err: unknown) => err instanceof ParleyError && err.status === 404 && err.message === 'Conversation not found.');
    await assert.rejects(ca.send({ cid: '0'.repeat(24), body: 'x' }), (err: unknown) => err instanceof ParleyError && err.status === 404);
    assert.equal(ca.pendingMessages.length, 0, 'a refused message leaves the outbox');
    // A bare validator text has no status.
    await assert.rejects(ca.request('get_users_by_ids', { ids: [] }), (err: unknown) => err instanceof ParleyError && err.status === undefined && /must contain at least 1 items/.test(err.message));
    const controller = new AbortController();
    const pending = ca.request('ping', {}, { signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    await assert.rejects(pending, /changed my mind/);
    // The reply to a ping can beat a 1 ms timer over loopback. Keeping this thread busy past
    // the timeout makes the timer due before the reply can be read (each turn of the event loop
    // runs due timers before it reads sockets), whatever the server's speed.
    const late = ca.request('ping', {}, { timeoutMs: 1 });
    const busyUntil = performance.now() + 20;
    while (performance.now() < busyUntil) continue;
    await assert.rejects(late, (err: unknown) => err instanceof ConnectionError && err.code === 'timeout');
    const errors: Error[] = [];
    ca.on('error', (e) => errors.push(e));
    ca.typing('0'.repeat(24));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(errors.some((e) => e instanceof ParleyError && e.packet === 'typing' && e.status === 404), String(errors));
    ca.close();
    assert.equal(ca.state, 'closed');
    await assert.rejects(ca.request('ping', {}), (err: unknown) => err instanceof ConnectionError && err.code === 'closed');
  });

  it('logs in over HTTP, resumes with a token, renews an expired session from the refresh cookie, and logs out', async () => {
    const c1 = client({ deviceId: 'sdk-http' });
    const me = await c1.loginWithHttp({ login: a.login, password: a.password });
    assert.equal(me._id, a._id);
    const token = c1.token;
    assert.ok(token);
    // Another process resumes the session with the token (connect).
    c1.close();
    const c2 = client({ deviceId: 'sdk-http' });
    assert.equal((await c2.login({ token })).login, a.login);
    c2.close();
    // Without a password, /login renews from the refresh cookie this client kept (Node.js has no cookie jar).
    const c3 = client({ deviceId: 'sdk-http3' });
    await c3.loginWithHttp({ login: a.login, password: a.password });
    const first = c3.token;
    await c3.loginWithHttp();
    assert.notEqual(c3.token, first, 'a new access token');
    assert.equal((await c3.request('ping', {})).pong !== undefined, true);
    await c3.logout();
    assert.equal(c3.state, 'idle');
    await assert.rejects(c3.loginWithHttp(), (err: unknown) => err instanceof ParleyError && err.status === 401);
  });

  it('uploads a file and sends it as an attachment the recipient can download', async () => {
    const ca = client({ deviceId: 'sdk-a4' });
    const cb = client({ deviceId: 'sdk-b4' });
    await Promise.all([ca.login({ login: a.login, password: a.password }), cb.login({ login: b.login, password: b.password })]);
    const { conversation } = await ca.request('conversation_create', { type: 'u', participants: [b._id] });
    const bytes = new TextEncoder().encode('a small text file');
    const file = await ca.uploadFile({ data: bytes, name: 'note.txt', contentType: 'text/plain' });
    assert.equal(file.size, bytes.length);
    const arrived = nextEvent(cb, 'message', (m) => m.cid === conversation._id);
    await ca.send({ cid: conversation._id, attachments: [ca.attachment(file)] });
    const m = await arrived;
    assert.equal(m.attachments?.[0]?.file_id, file.object_id);
    const urls = await cb.fileUrls([file.object_id]);
    const res = await fetch(urls[file.object_id] ?? '');
    assert.equal(await res.text(), 'a small text file');
  });

  it('keeps messages sent before login in the outbox and sends them once logged in', async () => {
    const ca = client({ deviceId: 'sdk-a5' });
    const probe = client({ deviceId: 'sdk-a5-probe' });
    await probe.login({ login: a.login, password: a.password });
    const { conversation } = await probe.request('conversation_create', { type: 'g', name: 'early', participants: [b._id] });
    const early = ca.send({ cid: conversation._id, body: 'written offline' });
    assert.equal(ca.pendingMessages.length, 1);
    await ca.login({ login: a.login, password: a.password });
    const ask = await early;
    assert.equal(ca.pendingMessages.length, 0);
    assert.deepEqual((await probe.request('message_list', { cid: conversation._id })).messages.map((m) => m._id), [ask.server_mid]);
  });
});
