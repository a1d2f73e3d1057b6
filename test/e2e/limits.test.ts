import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { TestClient } from '../helpers/client.js';
import { TestServer } from '../helpers/server.js';

/** Opens a socket with extra upgrade headers; resolves with it or rejects with the HTTP refusal. */
function openWith(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`${String(res.statusCode)} ${body}`)));
    });
    ws.once('error', reject);
  });
}

const closeAll = (sockets: WebSocket[]): Promise<unknown> => Promise.all(sockets.map((ws) => new Promise((r) => { ws.once('close', r); ws.close(); })));

async function metric(s: TestServer, line: string): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  const row = text.split('\n').find((l) => l.startsWith(line));
  return row === undefined ? 0 : Number(row.slice(line.length).trim());
}

describe('limits on what one client may hold', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' });
  });
  after(() => server.stop());

  it('stores x and attachment metadata up to their caps and answers 413 beyond them', async () => {
    const orgId = await server.createOrg();
    const [a, b] = [await server.createUser(orgId), await server.createUser(orgId)];
    const c = await server.loggedIn(a);
    const conv = await c.request('conversation_create', { type: 'u', participants: [b._id] });
    const cid = conv.conversation._id as string;
    const fits = { blob: 'y'.repeat(65536 - 11) }; // {"blob":"…"} is 65,536 bytes of JSON
    assert.equal(Buffer.byteLength(JSON.stringify(fits)), 65536);
    const ok = await c.request('message', { id: 'm1', cid, body: 'hi', x: fits });
    assert.equal(ok.ask?.mid, 'm1');
    const tooLarge = { status: 413, message: 'Payload too large.' };
    assert.deepEqual((await c.request('message', { id: 'm2', cid, body: 'hi', x: { blob: 'y'.repeat(900 * 1024) } })).error, tooLarge);
    assert.deepEqual((await c.request('message', { id: 'm3', cid, body: 'hi', x: { blob: 'y'.repeat(65536 - 10) } })).error, tooLarge);
    const attachments = Array.from({ length: 100 }, (_, i) => ({ file_name: `f${i}`, meta: 'z'.repeat(1000) }));
    assert.deepEqual((await c.request('message', { id: 'm4', cid, attachments })).error, tooLarge);
    const list = await c.request('message_list', { cid });
    assert.deepEqual(list.messages.map((m: { _id: string; x?: unknown }) => m.x), [fits], 'only the message within the cap was stored');
    await c.close();
  });

  it('answers a start-up burst and 50 pipelined messages in order with the default limits', async () => {
    const orgId = await server.createOrg();
    const [a, b] = [await server.createUser(orgId), await server.createUser(orgId)];
    const c = await server.loggedIn(a);
    const peer = await server.loggedIn(b);
    const cid = (await c.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const startup = ['conversation_list', 'user_last_activity', 'ping', 'contact_list', 'ping'].map((name, i) => ({ request: { [name]: {}, id: `s${String(i)}` } }));
    for (const frame of startup) c.send(frame);
    for (let i = 0; i < 50; i++) c.send({ message: { id: `p${String(i)}`, cid, body: `n${String(i)}` } });
    const acks: string[] = [];
    for (let i = 0; i < 50; i++) acks.push((await c.next((f) => f.ask !== undefined, 10_000)).ask.mid as string);
    assert.deepEqual(acks, Array.from({ length: 50 }, (_, i) => `p${String(i)}`));
    for (let i = 0; i < startup.length; i++) await c.next((f) => f.response?.id === `s${String(i)}`);
    const bodies: string[] = [];
    for (let i = 0; i < 50; i++) bodies.push((await peer.next((f) => f.message?.cid === cid)).message.body as string);
    assert.deepEqual(bodies, Array.from({ length: 50 }, (_, i) => `n${String(i)}`));
    await c.close();
    await peer.close();
  });

  it('closes a socket that does not log in within WS_AUTH_TIMEOUT_MS with 4003, and not one that did', async () => {
    const s = await TestServer.start({ WS_AUTH_TIMEOUT_MS: '300', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' });
    try {
      const user = await s.createUser(await s.createOrg());
      const idle = await s.client();
      const authed = await s.loggedIn(user);
      const started = Date.now();
      assert.deepEqual(await idle.closed, { code: 4003, reason: 'authentication timeout' });
      assert.ok(Date.now() - started < 2000);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(await authed.request('ping'), { id: 'r2', pong: {} }, 'a logged-in socket stays');
      // Logging out starts the deadline again.
      assert.equal((await authed.request('user_logout')).success, true);
      assert.equal((await authed.closed).code, 4003);
      assert.equal(await metric(s, 'parley_ws_connections_dropped_total{reason="auth_timeout"}'), 2);
    } finally {
      await s.stop();
    }
  });

  it('refuses connections beyond the per-address cap with 429 and beyond the total cap with 503', async () => {
    const s = await TestServer.start({ WS_MAX_CONNECTIONS_PER_ADDRESS: '3', WS_MAX_CONNECTIONS: '5' });
    try {
      const open = [await openWith(s.wsUrl), await openWith(s.wsUrl), await openWith(s.wsUrl)];
      await assert.rejects(openWith(s.wsUrl), /^Error: 429 Too many requests\.$/);
      // X-Forwarded-For from an untrusted peer changes nothing.
      await assert.rejects(openWith(s.wsUrl, { 'x-forwarded-for': '198.51.100.1' }), /429/);
      await closeAll(open.splice(0, 1));
      open.push(await openWith(s.wsUrl));
      assert.equal(await metric(s, 'parley_ws_connections_refused_total{reason="per_address"}'), 2);
      await closeAll(open);
    } finally {
      await s.stop();
    }
  });

  it('counts connections per forwarded address when the peer is a trusted proxy', async () => {
    const s = await TestServer.start({ WS_MAX_CONNECTIONS_PER_ADDRESS: '2', WS_MAX_CONNECTIONS: '5', TRUSTED_PROXIES: '127.0.0.0/8' });
    try {
      const via = (client: string): Promise<WebSocket> => openWith(s.wsUrl, { 'x-forwarded-for': client });
      const open = [await via('198.51.100.1'), await via('198.51.100.1'), await via('198.51.100.2'), await via('198.51.100.2')];
      await assert.rejects(via('198.51.100.1'), /429/);
      open.push(await via('198.51.100.3'));
      await assert.rejects(via('198.51.100.4'), /^Error: 503 Too many connections\.$/);
      assert.equal(await metric(s, 'parley_ws_connections_refused_total{reason="total"}'), 1);
      await closeAll(open);
    } finally {
      await s.stop();
    }
  });

  it('answers a frame above WS_MAX_FRAME_BYTES with 413 and closes with 1009 before the frame has arrived', async () => {
    const s = await TestServer.start({ WS_MAX_FRAME_BYTES: '65536' });
    try {
      const c = await TestClient.open(s.wsUrl);
      // Only the header of a 16 MiB frame is sent: the server must refuse from it alone.
      const header = Buffer.alloc(14);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(16 * 1024 * 1024), 2);
      const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
      socket.write(header);
      assert.deepEqual(await c.next(), { response: { error: { status: 413, message: 'Payload too large.' } } });
      assert.equal((await c.closed).code, 1009);
      assert.equal(await metric(s, 'parley_ws_connections_dropped_total{reason="frame_too_large"}'), 1);
    } finally {
      await s.stop();
    }
  });
});
