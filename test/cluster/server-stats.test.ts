import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { TestClient } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { fakeAi, type FakeAi } from '../helpers/fake-ai.js';
import { ADMIN_KEY, type TestServer, type TestUser } from '../helpers/server.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster tests: ${skip}`);

type Stats = Record<string, unknown>;

async function stats(node: TestServer): Promise<Stats> {
  const res = await fetch(`${node.httpUrl}/admin/server-stats`, { headers: { 'admin-api-key': ADMIN_KEY } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Stats;
}

/** Polls `read` until `check` holds, at most `ms` (figures travel through Redis); returns the last value. */
async function until<T>(read: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('server stats and AI limits across three nodes', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let fake: FakeAi;
  let redis: Redis;
  let n1: TestServer;
  let n2: TestServer;
  let n3: TestServer;
  before(async () => {
    fake = await fakeAi('openai', { key: 'k', model: 'm' });
    cluster = await TestCluster.start(3, { AI_BASE_URL: `${fake.origin}/v1`, AI_API_KEY: 'k', AI_MODEL: 'm', AI_RATE_LIMIT_PER_MINUTE: '3' });
    [n1, n2, n3] = [cluster.node(0), cluster.node(1), cluster.node(2)];
    redis = cluster.redis.client();
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
    await fake.close();
  });

  async function users(n: number): Promise<TestUser[]> {
    const org = await n1.createOrg();
    return Promise.all(Array.from({ length: n }, () => n2.createUser(org)));
  }

  /** Counted message packets of the current and previous hour, as every node adds them up in Redis. */
  async function countedThisHour(): Promise<number> {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const [now, before] = await redis.mget(`parley:stats:h:${String(hour)}`, `parley:stats:h:${String(hour - 3_600_000)}`);
    return Number(now ?? 0) + Number(before ?? 0);
  }

  it('counts message packets handled on every node in one set of buckets', async () => {
    const [a, b] = await users(2);
    assert.ok(a && b);
    const ca = await n1.loggedIn(a);
    const cb = await n3.loggedIn(b, 'b-phone');
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'counted', participants: [b._id] })).conversation._id as string;
    const start = await countedThisHour();
    const mid = (await ca.request('message', { id: 'c1', cid, body: 'one' })).ask.server_mid as string;
    await ca.request('message', { id: 'c2', cid, body: 'two' });
    assert.equal((await ca.request('message_edit', { id: mid, body: 'one!' })).success, true);
    assert.equal((await cb.request('message_reactions_update', { mid, add: '👍' })).success, true);
    assert.equal((await cb.request('system_message', { id: 's1', cid, x: { k: 1 } })).ask.mid, 's1');
    // Not counted: other packets, and refused ones.
    await cb.request('message_list', { cid });
    cb.send({ typing: { cid } });
    assert.ok((await cb.request('message_edit', { id: mid, body: 'not mine' })).error);
    const end = await until(countedThisHour, (n) => n >= start + 5, 4000);
    assert.equal(end - start, 5);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await countedThisHour(), end, 'nothing more arrives later');
    await ca.close();
    await cb.close();
  });

  it('reports online users, connections and nodes of the whole cluster from any node, and forgets a node that stops', async () => {
    const [a, b] = await users(2);
    assert.ok(a && b);
    // The sockets of the test before have closed (their nodes hear it asynchronously).
    const base = await until(() => stats(n1), (x) => x.connections === 0 && x.online_users === 0);
    assert.deepEqual([base.connections, base.online_users], [0, 0]);
    const sockets: TestClient[] = [await n1.loggedIn(a, 'laptop'), await n2.loggedIn(a, 'phone'), await n3.loggedIn(b), await n2.client()];
    const want = { online_users: 2, connections: 4, nodes: 3 };
    for (const node of [n1, n2, n3]) {
      const s = await until(() => stats(node), (x) => x.online_users === want.online_users && x.connections === want.connections && x.nodes === 3);
      assert.deepEqual({ online_users: s.online_users, connections: s.connections, nodes: s.nodes }, want, `as ${String(s.node_id)} sees it`);
      assert.equal(s.node_id, node.node.config.nodeId);
    }
    await n3.stop();
    const s = await until(() => stats(n1), (x) => x.nodes === 2 && x.online_users === want.online_users - 1, 3000);
    assert.deepEqual({ nodes: s.nodes, online_users: s.online_users, connections: s.connections }, { nodes: 2, online_users: want.online_users - 1, connections: want.connections - 1 });
    for (const c of sockets) await c.close();
  });

  it('holds each user to one AI budget whichever node their requests reach', async () => {
    const [a] = await users(1);
    assert.ok(a);
    const c1 = await n1.loggedIn(a, 'one');
    const c2 = await n2.loggedIn(a, 'two');
    fake.mode = { kind: 'ok', text: 'Nicely put.' };
    const answers = [];
    for (const c of [c1, c2, c1, c2]) answers.push(await c.request('message_tone', { body: 'fine', tone: 'positive' }));
    assert.deepEqual(answers.map((r) => r.message ?? r.error.status), ['Nicely put.', 'Nicely put.', 'Nicely put.', 429]);
    await c1.close();
    await c2.close();
  });
});
