import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ParleyClient, type ParleyClientOptions } from '../../packages/client/src/index.js';
import { TestServer, type TestUser } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually, finishAndCheck, receive, stream, watchPair } from './stream-check.js';

/**
 * Connections cut while a client streams messages, through TCP proxies (one per client) that
 * reset connections (both ends see them close) or silence them (neither end does — the client's
 * keep-alive notices; meanwhile the server still delivers into the silenced socket, so what it
 * sent there is in no operations log). The sender's outbox resends what was not acknowledged; the
 * recipient catches up.
 */
describe('@parley/client through cut connections', () => {
  let server: TestServer;
  let senderProxy: TcpProxy;
  let recipientProxy: TcpProxy;
  let org: string;
  let a: TestUser;
  let b: TestUser;
  const clients: ParleyClient[] = [];

  before(async () => {
    // Sockets that stop answering pings are dropped after 1-2 s (a silenced client otherwise stays "online").
    server = await TestServer.start({ WS_HEARTBEAT_INTERVAL_MS: '1000', MESSAGE_PRELOAD_COUNT: '1000' });
    [senderProxy, recipientProxy] = await Promise.all([TcpProxy.start(server.node.port), TcpProxy.start(server.node.port)]);
    org = await server.createOrg();
    [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all([senderProxy.stop(), recipientProxy.stop()]);
    await server.stop();
  });

  const client = (proxy: TcpProxy, deviceId: string, extra: Partial<ParleyClientOptions> = {}): ParleyClient => {
    const c = new ParleyClient({
      url: `ws://127.0.0.1:${String(proxy.port)}/`,
      WebSocket,
      organizationId: org,
      deviceId,
      storage: null,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
      keepAliveMs: 150,
      requestTimeoutMs: 5000,
      ...extra,
    });
    clients.push(c);
    return c;
  };

  it('stores every message exactly once and hands every one to the recipient once, across resets and silent cuts', { timeout: 90_000 }, async () => {
    const sender = client(senderProxy, 'stream-a');
    const recipient = client(recipientProxy, 'stream-b');
    await sender.login({ login: a.login, password: a.password });
    await recipient.login({ login: b.login, password: b.password });
    const { conversation } = await sender.request('conversation_create', { type: 'g', name: 'cuts', participants: [b._id] });
    const cid = conversation._id;
    const got = receive(recipient, cid);
    const watch = watchPair(sender, recipient);

    const n = 400;
    // Who is cut how, every 80 messages.
    const plan: [TcpProxy[], 'reset' | 'blackhole'][] = [
      [[senderProxy, recipientProxy], 'reset'],
      [[recipientProxy], 'blackhole'],
      [[senderProxy], 'reset'],
      [[senderProxy, recipientProxy], 'blackhole'],
      [[recipientProxy], 'reset'],
    ];
    let sent = 0;
    const cuts: number[] = [];
    const acks = await stream(sender, cid, n, 'cut', async () => {
      sent += 5;
      const step = sent % 80 === 0 ? plan.shift() : undefined;
      if (step) cuts.push(step[0].reduce((k, p) => k + p.cut(step[1]), 0));
      await new Promise((r) => setTimeout(r, 30));
    });
    assert.deepEqual(cuts, [2, 1, 1, 2, 1], 'every cut hit the connections it aimed at');
    await finishAndCheck(sender, cid, n, 'cut', acks, got, watch);
    // Each cut makes its clients reconnect (a keep-alive may drop a slow connection once more).
    assert.ok(watch.resumed.sender >= 3 && watch.resumed.recipient >= 4, JSON.stringify(watch.resumed));
    console.log(`# cut stream: ${String(n)} messages, 5 cuts; recipient got ${String(got.live)} live + ${String(got.catchup)} by catch-up; reconnections ${JSON.stringify(watch.resumed)}`);
  });
});

describe('@parley/client when its access token expires', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let org: string;
  let a: TestUser;
  let b: TestUser;
  const clients: ParleyClient[] = [];

  before(async () => {
    server = await TestServer.start({ COOKIE_SECURE: 'false', JWT_ACCESS_TOKEN_EXPIRES_IN: '2' });
    proxy = await TcpProxy.start(server.node.port);
    org = await server.createOrg();
    [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await proxy.stop();
    await server.stop();
  });

  const client = (deviceId: string): ParleyClient => {
    const c = new ParleyClient({ url: `ws://127.0.0.1:${String(proxy.port)}/`, httpUrl: server.httpUrl, WebSocket, organizationId: org, deviceId, storage: null, reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    clients.push(c);
    return c;
  };

  it('renews an expired access token from the refresh cookie when it reconnects', { timeout: 30_000 }, async () => {
    const c = client('renew-a');
    await c.loginWithHttp({ login: a.login, password: a.password });
    const first = c.token;
    const { conversation } = await c.request('conversation_create', { type: 'g', name: 'renew', participants: [b._id] });
    await new Promise((r) => setTimeout(r, 2300)); // the access token (2 s) expires
    proxy.cut('reset');
    const ask = await c.send({ cid: conversation._id, body: 'after renewal' });
    assert.equal(c.state, 'ready');
    assert.notEqual(c.token, first, 'the session was renewed with a new access token');
    assert.match(ask.server_mid, /^[0-9a-f]{24}$/);
  });

  it('stops reconnecting and reports the refusal when the session cannot be resumed', { timeout: 30_000 }, async () => {
    const c = client('refused-a');
    await c.login({ login: a.login, password: a.password }); // a WebSocket login: no refresh cookie
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 2300)); // the access token expires
    proxy.cut('reset');
    await eventually(() => c.state === 'idle', 10_000, 'the client to give up');
    assert.ok(errors.some((e) => /token has expired/.test(e.message)), String(errors));
    const waiting = c.send({ cid: '0'.repeat(24), body: 'kept' });
    assert.equal(c.pendingMessages.length, 1, 'the outbox is kept for the next login');
    c.close();
    await assert.rejects(waiting, /closed/);
  });
});
