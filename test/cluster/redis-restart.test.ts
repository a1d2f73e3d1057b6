import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster Redis-restart tests: ${skip}`);

describe('Redis restarted under a running cluster', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(2);
  });
  after(() => cluster.stop());

  it('keeps acknowledging sends, reports not ready while Redis is away, and live delivery across nodes resumes', async () => {
    const [n1, n2] = [cluster.node(0), cluster.node(1)];
    const org = await n1.createOrg();
    const [a, b] = await Promise.all([n1.createUser(org), n1.createUser(org)]);
    const ca = await n1.loggedIn(a);
    const cb = await n2.loggedIn(b);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    // Every message b's socket gets, in arrival order.
    const seen = cb.recordMessages();
    await ca.request('message', { id: 'first', cid, body: 'before' });
    await cb.next((f) => f.message?.body === 'before');
    await cluster.redis.stop();
    const acked: string[] = [];
    const until = Date.now() + 5000;
    while ((await fetch(`${n1.httpUrl}/readyz`)).status === 200) {
      assert.ok(Date.now() < until, '/readyz still 200 with Redis down');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 5; i++) acked.push((await ca.request('message', { id: `down${String(i)}`, cid, body: `while down ${String(i)}` })).ask.server_mid as string);
    // Same port, empty data: the registry and every subscription are gone and come back.
    await cluster.restartRedis();
    const back = Date.now() + 10_000;
    for (let i = 0; ; i++) {
      assert.ok(Date.now() < back, 'live delivery did not resume within 10 s');
      const body = `after ${String(i)}`;
      acked.push((await ca.request('message', { id: `up${String(i)}`, cid, body })).ask.server_mid as string);
      const got = await cb.collect((f) => f.message?.body === body, 200);
      if (got.length === 1) break;
    }
    assert.equal((await fetch(`${n1.httpUrl}/readyz`)).status, 200);
    assert.equal((await fetch(`${n2.httpUrl}/readyz`)).status, 200);
    // b is known online again cluster-wide (the registry was written again).
    const deadline = Date.now() + 5000;
    while (!(await ca.request('online_list', { idsOnly: true })).users.includes(b._id)) {
      assert.ok(Date.now() < deadline, 'b not back in online_list');
      await new Promise((r) => setTimeout(r, 50));
    }
    const listed = new Set(((await cb.request('message_list', { cid, limit: 30 })).messages as { _id: string }[]).map((m) => m._id));
    for (const mid of acked) assert.ok(listed.has(mid), `acknowledged ${mid} lost`);
    // The messages Redis never carried (sent while it was down, or before the subscriptions came
    // back) were read from PostgreSQL: b's socket got every one, once, in the stored order.
    const stored = (await n1.node.store.messages.range(org, cid, null, null, 100)).map((m) => m._id);
    const deadlineAll = Date.now() + 5000;
    while (seen.length < stored.length) {
      assert.ok(Date.now() < deadlineAll, `b got ${String(seen.length)} of ${String(stored.length)} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(seen, stored);
    await ca.close();
    await cb.close();
  });
});
