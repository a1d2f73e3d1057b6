import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import type { TestClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster order tests: ${skip}`);

/**
 * The conversation's message ids oldest first: the store's id order, checked against what
 * message_list (newest first, at most 30 a page) shows for the newest page.
 */
async function listed(n: TestServer, c: TestClient, orgId: string, cid: string): Promise<string[]> {
  const all = (await n.node.store.messages.range(orgId, cid, null, null, 10_000)).map((m) => m._id);
  const page = ((await c.request('message_list', { cid, limit: 30 })).messages as { _id: string }[]).map((m) => m._id).reverse();
  assert.deepEqual(page, all.slice(-page.length), 'message_list shows the store order');
  return all;
}

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('message order across nodes', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let nodes: TestServer[];
  before(async () => {
    cluster = await TestCluster.start(3, { CLUSTER_GAP_WAIT_MS: '50' });
    nodes = [0, 1, 2].map((i) => cluster.node(i));
  });
  after(async () => {
    await cluster.stop();
  });

  it('concurrent senders on three nodes: every socket on every node sees one order, equal to message_list', async () => {
    const org = await nodes[0]!.createOrg();
    const senders = await Promise.all(nodes.map((n) => n.createUser(org)));
    const readers = await Promise.all(nodes.map((n) => n.createUser(org)));
    const senderSockets = await Promise.all(senders.map((u, i) => nodes[i]!.loggedIn(u, 'desk')));
    // Each reader on every node, so each node sees every message from all three.
    const readerSockets = await Promise.all(readers.flatMap((u) => nodes.map((n, i) => n.loggedIn(u, `dev${String(i)}`))));
    const cid = (await senderSockets[0]!.request('conversation_create', { type: 'g', name: 'race', participants: [...senders.slice(1), ...readers].map((u) => u._id) })).conversation._id as string;
    const seenBySender = senderSockets.map((c) => c.recordMessages());
    const seenByReader = readerSockets.map((c) => c.recordMessages());
    const perSender = 60;
    // 180 sends into one conversation at once, all contending for its row lock: on a loaded
    // 2-core machine the last acks can take seconds. This test is about order, not speed.
    const acks = await Promise.all(senderSockets.map((c, k) => Promise.all(Array.from({ length: perSender }, (_, i) => c.request('message', { id: `s${String(k)}-${String(i)}`, cid, body: `${String(k)}:${String(i)}` }, 15_000)))));
    const mine = acks.map((a) => new Set(a.map((r) => r.ask.server_mid as string)));
    const total = 3 * perSender;
    await waitFor('every reader socket to get every message', () => seenByReader.every((s) => s.length >= total));
    await waitFor('every sender to get the others\' messages', () => seenBySender.every((s) => s.length >= total - perSender));
    const order = await listed(nodes[0]!, readerSockets[0]!, org, cid);
    assert.equal(order.length, total);
    assert.deepEqual([...order].sort(), order, 'message_list order is id order');
    // A little longer: nothing arrives twice or late.
    await new Promise((r) => setTimeout(r, 200));
    for (const [i, seen] of seenByReader.entries()) assert.deepEqual(seen, order, `reader socket ${String(i)}`);
    for (const [k, seen] of seenBySender.entries()) assert.deepEqual(seen, order.filter((id) => !mine[k]!.has(id)), `sender ${String(k)}`);
    for (const c of [...senderSockets, ...readerSockets]) await c.close();
  });

  it('a node whose Redis subscription is cut misses nothing: each device gets every message once, in order', async () => {
    const org = await nodes[0]!.createOrg();
    const [a, b] = await Promise.all([nodes[0]!.createUser(org), nodes[0]!.createUser(org)]);
    const ca = await nodes[0]!.loggedIn(a);
    const cb = await nodes[1]!.loggedIn(b);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const seen = cb.recordMessages();
    const admin = new Redis(cluster.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    try {
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 150; i++) {
        sends.push(ca.request('message', { id: `m${String(i)}`, cid, body: String(i) }));
        // Every subscriber connection is dropped three times while messages flow; what was
        // published to them meanwhile is gone from Redis.
        if (i % 50 === 25) await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(sends);
      const order = await listed(nodes[0]!, ca, org, cid);
      assert.equal(order.length, 150);
      await waitFor('b to get all 150', () => seen.length >= 150);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(seen, order);
      // What the cut subscriptions missed was read back from PostgreSQL, and /metrics says so.
      const metrics = await (await fetch(`${nodes[1]!.httpUrl}/metrics`)).text();
      assert.ok(Number(/parley_cluster_gap_filled_total (\d+)/.exec(metrics)?.[1] ?? 0) > 0, 'no gap fill counted');
    } finally {
      admin.disconnect();
      await ca.close();
      await cb.close();
    }
  });

  it('a recipient gone by the time a delivery reaches their node gets each message in the operations log once', async () => {
    const org = await nodes[0]!.createOrg();
    const sender = await nodes[0]!.createUser(org);
    const leaving = await Promise.all(Array.from({ length: 8 }, () => nodes[0]!.createUser(org)));
    const cs = await nodes[0]!.loggedIn(sender);
    const cid = (await cs.request('conversation_create', { type: 'g', name: 'leavers', participants: leaving.map((u) => u._id) })).conversation._id as string;
    const sockets = await Promise.all(leaving.map((u) => nodes[1]!.loggedIn(u)));
    for (;;) {
      const online = (await cs.request('online_list', { idsOnly: true })).users as string[];
      if (leaving.every((u) => online.includes(u._id))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Sends and disconnects cross: node 0 may still think them connected to node 1 when it sends.
    const sent: Promise<{ ask: { server_mid: string } }>[] = [];
    for (let i = 0; i < 4; i++) sent.push(cs.request('message', { id: `g${String(i)}`, cid, body: `gone ${String(i)}` }) as Promise<{ ask: { server_mid: string } }>);
    for (const s of sockets) s.ws.terminate();
    // Node 1 notices the closed sockets within milliseconds; node 0 hears of it over Redis.
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 4; i < 8; i++) sent.push(cs.request('message', { id: `g${String(i)}`, cid, body: `gone ${String(i)}` }) as Promise<{ ask: { server_mid: string } }>);
    const mids = (await Promise.all(sent)).map((r) => r.ask.server_mid);
    await new Promise((r) => setTimeout(r, 500));
    for (const u of leaving) {
      const c = await nodes[2]!.loggedIn(u, 'later');
      const logs = (await c.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[];
      const logged = logs.map((l) => (JSON.parse(l.packet) as { message?: { _id: string } }).message?._id).filter((id): id is string => id !== undefined);
      // Each message either reached a socket before it closed or is in the log — never twice.
      assert.equal(new Set(logged).size, logged.length, `a message logged twice for ${u._id}`);
      await c.close();
    }
    // Messages sent after every socket was gone (as seen by the sending node or not) are all logged.
    for (const u of leaving) {
      const c = await nodes[2]!.loggedIn(u, 'check');
      const logs = (await c.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[];
      const logged = new Set(logs.map((l) => (JSON.parse(l.packet) as { message?: { _id: string } }).message?._id));
      for (const mid of mids.slice(4)) assert.ok(logged.has(mid), `message ${mid} neither delivered nor logged for ${u._id}`);
      await c.close();
    }
    await cs.close();
  });
});
