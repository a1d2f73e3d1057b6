import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestClient } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { loginFrom, type TestServer, type TestUser } from '../helpers/server.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster tests: ${skip}`);

/** Last-activity values `watcher` received about `target` within `ms`. */
async function activityOf(watcher: TestClient, target: TestUser, ms = 300): Promise<number[]> {
  const frames = await watcher.collect((f) => f.last_activity?.[target._id] !== undefined, ms);
  return frames.map((f) => f.last_activity[target._id] as number);
}

describe('three nodes on one PostgreSQL and Redis', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let n1: TestServer;
  let n2: TestServer;
  let n3: TestServer;
  before(async () => {
    cluster = await TestCluster.start(3);
    [n1, n2, n3] = [cluster.node(0), cluster.node(1), cluster.node(2)];
  });
  after(() => cluster.stop());

  /** An organization with users; creating through one node is seen by all (one database). */
  async function users(n: number): Promise<TestUser[]> {
    const org = await n1.createOrg();
    return Promise.all(Array.from({ length: n }, () => n2.createUser(org)));
  }

  it('delivers every event kind to sockets on other nodes, carbons included', async () => {
    const [a, b, c] = await users(3);
    assert.ok(a && b && c);
    const ca = await n1.loggedIn(a, 'a-laptop');
    const ca2 = await n2.loggedIn(a, 'a-phone');
    const cb = await n2.loggedIn(b);
    const cc = await n3.loggedIn(c);
    const group = (await ca.request('conversation_create', { type: 'g', name: 'across', participants: [b._id, c._id] })).conversation;
    for (const cl of [cb, cc]) assert.equal((await cl.next((f) => f.system_message?.x?.conversation_created !== undefined)).system_message.x.conversation_created._id, group._id);
    const ack = await ca.request('message', { id: 'x1', cid: group._id, body: 'hello nodes' });
    const mid = ack.ask.server_mid as string;
    for (const cl of [cb, cc, ca2]) assert.equal((await cl.next((f) => f.message?._id === mid)).message.body, 'hello nodes');
    assert.ok((await cb.request('message_edit', { id: mid, body: 'edited' })).success === undefined);
    assert.equal((await ca.request('message_edit', { id: mid, body: 'edited' })).success, true);
    assert.equal((await cc.next((f) => f.message_edit !== undefined)).message_edit.body, 'edited');
    cb.send({ typing: { cid: group._id, status: 'start' } });
    assert.equal((await cc.next((f) => f.typing !== undefined)).typing.from, b._id);
    assert.equal((await cc.request('message_read', { cid: group._id })).success, true);
    assert.equal((await ca.next((f) => f.message_read !== undefined)).message_read.from, c._id);
    assert.equal((await cb.request('message_reactions_update', { mid, add: '👍' })).success, true);
    assert.equal((await cc.next((f) => f.message_reactions_update !== undefined)).message_reactions_update.add, '👍');
    assert.equal((await ca.request('conversation_update', { id: group._id, name: 'renamed' })).conversation.name, 'renamed');
    assert.equal((await cc.next((f) => f.system_message?.x?.conversation_updated !== undefined)).system_message.x.conversation_updated.name, 'renamed');
    assert.equal((await ca.request('message_delete', { cid: group._id, ids: [mid], type: 'all' })).success, true);
    assert.deepEqual((await cb.next((f) => f.message_delete !== undefined)).message_delete.ids, [mid]);
    for (const cl of [ca, ca2, cb, cc]) await cl.close();
  });

  it('keeps presence, last activity and online_list cluster-wide', async () => {
    const [w, t] = await users(2);
    assert.ok(w && t);
    const cw = await n1.loggedIn(w);
    await cw.request('user_last_activity_subscribe', { id: t._id });
    const t1 = await n2.loggedIn(t, 'one');
    assert.deepEqual(await activityOf(cw, t, 1000), [0]);
    const t2 = await n3.loggedIn(t, 'two');
    assert.deepEqual((await cw.request('user_last_activity', { ids: [t._id] })).last_activity, { [t._id]: 0 });
    const onN3 = await n3.loggedIn(w, 'other');
    assert.equal((await onN3.request('online_list', { count: true })).count, 2);
    assert.deepEqual((await onN3.request('online_list', { idsOnly: true })).users, [w._id, t._id].sort());
    await t1.close();
    assert.deepEqual(await activityOf(cw, t, 400), [], 'one device left: still online');
    await t2.close();
    const [off] = await activityOf(cw, t, 2000);
    assert.ok(off !== undefined && off > 0);
    // The time is recorded, so a later read agrees with the notice.
    const recorded = Date.now() + 2000;
    while ((await cw.request('user_last_activity', { ids: [t._id] })).last_activity[t._id] !== off) {
      assert.ok(Date.now() < recorded, 'last activity not recorded');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await onN3.request('online_list', { count: true })).count, 1);
    await cw.close();
    await onN3.close();
  });

  it('takes a device over across nodes without an offline notice, and signs out everywhere', async () => {
    const [w, t] = await users(2);
    assert.ok(w && t);
    const cw = await n3.loggedIn(w);
    await cw.request('user_last_activity_subscribe', { id: t._id });
    const first = await n1.loggedIn(t, 'phone');
    assert.deepEqual(await activityOf(cw, t, 1000), [0]);
    const second = await n2.loggedIn(t, 'phone');
    assert.equal((await first.closed).code, 4000);
    assert.deepEqual(await activityOf(cw, t, 500), [], 'the user never went offline');
    // A password change on n2 closes the user's other devices on every node.
    const tablet = await n3.loggedIn(t, 'tablet');
    assert.ok((await second.request('user_edit', { current_password: t.password, new_password: 'changed-pass' })).user);
    assert.equal((await tablet.closed).code, 4002);
    // user_delete on n2 closes the remaining sockets everywhere.
    const again = await n1.loggedIn({ ...t, password: 'changed-pass' }, 'desk');
    assert.equal((await second.request('user_delete', {})).success, true);
    assert.equal((await again.closed).code, 4001);
    await cw.close();
  });

  it('logs a device out over HTTP on one node while its socket is on another', async () => {
    const [u] = await users(1);
    assert.ok(u);
    const login = await fetch(`${n1.httpUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ organization_id: u.orgId, login: u.login, password: u.password, device_id: 'web' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const token = ((await login.json()) as { access_token: string }).access_token;
    const socket = await n3.client();
    assert.equal((await socket.request('connect', { token, device_id: 'web' })).success, true);
    const out = await fetch(`${n2.httpUrl}/logout`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, cookie } });
    assert.equal(out.status, 200);
    const start = Date.now();
    for (;;) {
      const r = await socket.request('conversation_list', {});
      if (r.error?.status === 401) break;
      assert.ok(Date.now() - start < 2000, 'socket on n3 still signed in');
      await new Promise((res) => setTimeout(res, 20));
    }
    await socket.close();
  });

  it('pushes a user online on any node nothing, and an offline one exactly once', async () => {
    const [a, b, c] = await users(3);
    assert.ok(a && b && c);
    const ca = await n1.loggedIn(a);
    const cb = await n2.loggedIn(b);
    const group = (await ca.request('conversation_create', { type: 'g', name: 'push', participants: [b._id, c._id] })).conversation;
    await cb.next((f) => f.system_message !== undefined);
    // The group's own "created" push for c is written after the reply: wait for the count to settle.
    let before = await n3.node.store.pushOutbox.count();
    for (let settled = 0; settled < 5; ) {
      await new Promise((res) => setTimeout(res, 40));
      const now = await n3.node.store.pushOutbox.count();
      settled = now === before ? settled + 1 : 0;
      before = now;
    }
    await ca.request('message', { id: 'p1', cid: group._id, body: 'who gets a push' });
    await cb.next((f) => f.message?.body === 'who gets a push');
    const start = Date.now();
    while ((await n3.node.store.pushOutbox.count()) < before + 1) {
      assert.ok(Date.now() - start < 2000, 'no push row for the offline user');
      await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(await n3.node.store.pushOutbox.count(), before + 1, 'one push: for c, offline everywhere; none for b, online on n2');
    await ca.close();
    await cb.close();
  });

  it('a participant removed through one node gets nothing sent through another right after', async () => {
    const [owner, gone, stays] = await users(3);
    assert.ok(owner && gone && stays);
    const co = await n1.loggedIn(owner);
    const cg = await n3.loggedIn(gone);
    const cs = await n3.loggedIn(stays);
    const cid = (await co.request('conversation_create', { type: 'g', name: 'race', participants: [gone._id, stays._id] })).conversation._id as string;
    const sender = await n2.loggedIn(stays, 'second');
    for (let round = 0; round < 5; round++) {
      if (round > 0) assert.ok((await co.request('conversation_update', { id: cid, participants: { add: [gone._id] } })).conversation);
      // n2 serves the conversation with `gone` in it (anything it cached now includes them) …
      const hello = `before removal ${String(round)}`;
      assert.ok((await sender.request('message', { id: `b${String(round)}`, cid, body: hello })).ask?.server_mid);
      await cg.next((f) => f.message?.body === hello);
      // … then n1 removes them, and n2 sends at once.
      assert.ok((await co.request('conversation_update', { id: cid, participants: { remove: [gone._id] } })).conversation);
      const body = `after removal ${String(round)}`;
      assert.ok((await sender.request('message', { id: `r${String(round)}`, cid, body })).ask?.server_mid);
      await cs.next((f) => f.message?.body === body);
      assert.deepEqual(await cg.collect((f) => f.message?.body === body, 150), [], `round ${String(round)}`);
    }
    for (const cl of [co, cg, cs, sender]) await cl.close();
  });

  it('counts failed logins cluster-wide: a guesser spreading attempts over the nodes is stopped all the same', async () => {
    const [victim] = await users(1);
    assert.ok(victim);
    const nodes = [n1, n2, n3];
    const seen: (number | 'ok')[] = [];
    for (let i = 0; i < 12; i++) seen.push(await loginFrom(nodes[i % 3]!, '127.0.0.5', victim, `wrong-${String(i)}`, 'x'));
    assert.deepEqual(seen, [...Array(10).fill(401), 429, 429], 'the default 10 failures per login and address, counted over all nodes');
    // The owner, from another address, is not locked out.
    assert.ok(await n2.loggedIn(victim, 'own'));
  });

  it('reports each node in /health and /metrics, and ready while Redis is up', async () => {
    for (const [i, n] of [n1, n2, n3].entries()) {
      const health = (await (await fetch(`${n.httpUrl}/health`)).json()) as { node_id: string };
      assert.equal(health.node_id, `n${String(i + 1)}`);
      assert.equal((await fetch(`${n.httpUrl}/readyz`)).status, 200);
      const metrics = await (await fetch(`${n.httpUrl}/metrics`)).text();
      assert.match(metrics, new RegExp(`parley_node_info\\{node="n${String(i + 1)}"\\} 1`));
      assert.match(metrics, /parley_bus_messages_total\{direction="received",topic="sessions"\} [1-9]/);
    }
  });
});
