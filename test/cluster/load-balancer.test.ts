import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { TestNginx } from '../helpers/nginx.js';
import { ADMIN_KEY, loginFrom, uniqueName, type TestServer, type TestUser } from '../helpers/server.js';

// The load balancer of deploy/, run as it is (node and listen lines pointed at this test's ports).
const SITE_CONFIG = join(import.meta.dirname, '..', '..', 'deploy', 'nginx', 'parley.conf');

const skip = clusterUnavailable() ?? TestNginx.unavailable();
if (skip) console.log(`# skipping load balancer tests: ${skip}`);

/** Open WebSocket connections on `node`, from its /metrics (asked directly, not through nginx). */
async function openSockets(node: TestServer): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const m = /^parley_ws_connections (\d+)$/m.exec(text);
  if (!m) throw new Error('no parley_ws_connections in /metrics');
  return Number(m[1]);
}

/** Polls until every node's open-socket count is `expected` (sockets close asynchronously). */
async function socketsAre(nodes: readonly TestServer[], expected: readonly number[], timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(nodes.map(openSockets));
    if (seen.every((n, i) => n === expected[i])) return;
    if (Date.now() > until) assert.deepEqual(seen, expected, 'open WebSockets per node');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls until the nodes' open-socket counts add up to `total`; returns them. */
async function socketsTotalling(nodes: readonly TestServer[], total: number, timeoutMs = 3000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(nodes.map(openSockets));
    if (seen.reduce((a, b) => a + b, 0) === total) return seen;
    if (Date.now() > until) throw new Error(`open WebSockets per node: ${JSON.stringify(seen)}, expected ${String(total)} in all`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** POST /login (password) through `baseUrl` from local address `from`, with extra headers; status and body. */
function httpLogin(baseUrl: string, from: string, user: TestUser, password: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ organization_id: user.orgId, login: user.login, password, device_id: 'http' });
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/login`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Opens a socket through the load balancer and logs `user` in on it. */
async function loggedInThrough(lb: TestNginx, user: TestUser, deviceId: string): Promise<TestClient> {
  const c = await TestClient.open(lb.wsUrl);
  const r = await c.request('user_login', { organization_id: user.orgId, login: user.login, password: user.password, device_id: deviceId });
  assert.ok(r.token, `login through the load balancer: ${JSON.stringify(r)}`);
  return c;
}

describe('nginx with deploy/nginx/parley.conf in front of two cluster nodes', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let lb: TestNginx;
  let nodes: TestServer[];
  before(async () => {
    // nginx reaches the nodes from 127.0.0.1; the test's clients come from other loopback addresses.
    cluster = await TestCluster.start(2, { TRUSTED_PROXIES: '127.0.0.1', LOGIN_RATE_LIMIT_PER_ADDRESS: '3' });
    nodes = cluster.nodes;
    lb = await TestNginx.start(SITE_CONFIG, nodes.map((n) => n.node.port));
  });
  after(async () => {
    await lb.stop();
    await cluster.stop();
  });

  /** An organization made through the admin HTTP API via nginx, and users in it. */
  async function orgWithUsers(n: number): Promise<TestUser[]> {
    const res = await fetch(`${lb.httpUrl}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ name: uniqueName('org') }) });
    assert.equal(res.status, 200, 'admin API through nginx');
    const org = ((await res.json()) as { organization: { _id: string } }).organization._id;
    return Promise.all(Array.from({ length: n }, () => cluster.node(0).createUser(org)));
  }

  it('spreads two users over both nodes; they chat both ways; HTTP login and the admin API pass', async () => {
    const [a, b] = await orgWithUsers(2);
    assert.ok(a && b);
    await socketsAre(nodes, [0, 0]);
    // a logs in over HTTP the way SAMA's web client does, then binds a socket with the token.
    const http = await httpLogin(lb.httpUrl, '127.0.0.1', a, a.password);
    assert.equal(http.status, 200, http.body);
    const token = (JSON.parse(http.body) as { access_token: string }).access_token;
    const ca = await TestClient.open(lb.wsUrl);
    const bound = await ca.request('connect', { token, device_id: 'http' });
    assert.equal(bound.success, true, `socket bound with the HTTP token: ${JSON.stringify(bound)}`);
    const cb = await loggedInThrough(lb, b, 'b1');
    // least_conn: the second socket goes to the node without one.
    await socketsAre(nodes, [1, 1]);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const toB = (await ca.request('message', { id: 'ab', cid, body: 'from a' })).ask.server_mid as string;
    assert.equal((await cb.next((f) => f.message?._id === toB)).message.body, 'from a');
    const toA = (await cb.request('message', { id: 'ba', cid, body: 'from b' })).ask.server_mid as string;
    assert.equal((await ca.next((f) => f.message?._id === toA)).message.body, 'from b');
    const health = (await (await fetch(`${lb.httpUrl}/health`)).json()) as { node_id: string };
    assert.ok(['n1', 'n2'].includes(health.node_id), `/health through nginx: ${JSON.stringify(health)}`);
    assert.equal((await fetch(`${lb.httpUrl}/metrics`)).status, 404, '/metrics is per node, not served through the load balancer');
    for (const c of [ca, cb]) await c.close();
    await socketsAre(nodes, [0, 0]);
  });

  it("sees each client's own address through nginx (X-Forwarded-For from a trusted proxy), not nginx's nor a forged one", async () => {
    const [u] = await orgWithUsers(1);
    assert.ok(u);
    // Per-address login limit 3 (cluster-wide, in Redis): 127.0.0.2 uses it up.
    for (let i = 0; i < 3; i++) {
      const r = await loginFrom(lb, '127.0.0.2', u, `wrong-${String(i)}`);
      assert.ok(r !== 'ok' && r !== 429, `failed attempt ${String(i)}: ${String(r)}`);
    }
    assert.equal(await loginFrom(lb, '127.0.0.2', u, u.password), 429, 'WebSocket login from the throttled address');
    assert.equal((await httpLogin(lb.httpUrl, '127.0.0.2', u, u.password)).status, 429, 'HTTP login from the throttled address');
    // Were nginx's own address (127.0.0.1) taken for the client's, every client would now be refused.
    assert.equal(await loginFrom(lb, '127.0.0.3', u, u.password), 'ok', 'WebSocket login from another address');
    // A client naming the throttled address in its own X-Forwarded-For is still itself.
    const forged = await httpLogin(lb.httpUrl, '127.0.0.3', u, u.password, { 'x-forwarded-for': '127.0.0.2' });
    assert.equal(forged.status, 200, `HTTP login with a forged X-Forwarded-For: ${forged.body}`);
  });

  // Stops a node: runs last.
  it('after a node stops, new connections reach the other one; a user of the stopped node logs in again and reads its history', async () => {
    const [c, d] = await orgWithUsers(2);
    assert.ok(c && d);
    await socketsAre(nodes, [0, 0]);
    const cc = await loggedInThrough(lb, c, 'c1');
    const doomed = (await socketsTotalling(nodes, 1)).indexOf(1);
    const survivor = 1 - doomed;
    const cd = await loggedInThrough(lb, d, 'd1');
    await socketsAre(nodes, [1, 1]);
    const cid = (await cc.request('conversation_create', { type: 'u', participants: [d._id] })).conversation._id as string;
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const mid = (await cc.request('message', { id: `c${String(i)}`, cid, body: `before ${String(i)}` })).ask.server_mid as string;
      assert.equal((await cd.next((f) => f.message?._id === mid)).message.body, `before ${String(i)}`);
      sent.push(mid);
    }

    await cluster.node(doomed).stop();
    await cc.closed;
    const refusedBefore = (lb.errorLog.match(/Connection refused/g) ?? []).length;
    const started = Date.now();
    // least_conn picks the stopped node first (no connections): refused, retried on the survivor,
    // and then left out for fail_timeout, so one refusal however many connections follow.
    // One after another: connections opened at the same instant may both be sent to the stopped
    // node before nginx has seen the first one fail.
    const fresh: TestClient[] = [];
    for (let i = 0; i < 4; i++) fresh.push(await TestClient.open(lb.wsUrl));
    const ms = Date.now() - started;
    assert.equal(await openSockets(nodes[survivor] as TestServer), 5, 'd and the four new sockets, all on the survivor');
    const refused = (lb.errorLog.match(/Connection refused/g) ?? []).length - refusedBefore;
    assert.ok(refused <= 1, `nginx tried the stopped node ${String(refused)} times for 4 connections:\n${lb.errorLog}`);
    assert.equal((await httpLogin(lb.httpUrl, '127.0.0.1', c, c.password)).status, 200, 'HTTP login after the stop');
    const back = await loggedInThrough(lb, c, 'c1');
    const listed = (await back.request('message_list', { cid, limit: 10 })).messages as { _id: string }[];
    assert.deepEqual(listed.map((m) => m._id).sort(), [...sent].sort(), 'history through the survivor');
    const mid = (await back.request('message', { id: 'after', cid, body: 'after the stop' })).ask.server_mid as string;
    assert.equal((await cd.next((f) => f.message?._id === mid)).message.body, 'after the stop');
    console.log(`# load balancer: 4 connections through nginx in ${String(ms)} ms after a node stopped; ${String(refused)} refused attempt on it`);
    for (const cl of [...fresh, back, cd]) await cl.close();
  });
});
