import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ADMIN_KEY, TestServer } from '../helpers/server.js';

describe('presence and activity', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ WS_HEARTBEAT_INTERVAL_MS: '150' });
  });
  after(() => server.stop());

  it('tells a watcher when the first device comes and the last one goes', async () => {
    const org = await server.createOrg();
    const [w, t] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cw = await server.loggedIn(w);
    const sub = await cw.request('user_last_activity_subscribe', { id: t._id });
    assert.equal(typeof sub.last_activity[t._id], 'number');
    assert.ok(sub.last_activity[t._id] > 0);
    const t1 = await server.loggedIn(t, 'one');
    assert.deepEqual(await cw.next((f) => f.last_activity !== undefined), { last_activity: { [t._id]: 0 } });
    const t2 = await server.loggedIn(t, 'two');
    assert.deepEqual((await cw.request('user_last_activity', { ids: [t._id, w._id] })).last_activity, { [t._id]: 0, [w._id]: 0 });
    await t1.close();
    assert.deepEqual(await cw.collect((f) => f.last_activity !== undefined, 150), []);
    await t2.close();
    const off = await cw.next((f) => f.last_activity !== undefined);
    assert.ok(off.last_activity[t._id] >= Math.floor(Date.now() / 1000) - 5);
    assert.equal((await cw.request('user_last_activity', { ids: [t._id] })).last_activity[t._id], off.last_activity[t._id]);
    assert.equal((await cw.request('user_last_activity_unsubscribe', {})).success, true);
    await server.loggedIn(t, 'three');
    assert.deepEqual(await cw.collect((f) => f.last_activity !== undefined, 150), []);
    await cw.close();
  });

  it('records the last activity of users still connected when the server stops gracefully', async () => {
    const own = await TestServer.start();
    try {
      const org = await own.createOrg();
      const [w, t] = await Promise.all([own.createUser(org), own.createUser(org)]);
      const created = (await (await own.loggedIn(w)).request('user_last_activity', { ids: [t._id] })).last_activity[t._id] as number;
      await own.loggedIn(t);
      // A second later, so the stop's time differs from the creation time (whole seconds).
      await new Promise((r) => setTimeout(r, 1100));
      const stoppedAt = Math.floor(Date.now() / 1000);
      await own.restart();
      const after = (await (await own.loggedIn(w, 'again')).request('user_last_activity', { ids: [t._id] })).last_activity[t._id] as number;
      assert.ok(after >= stoppedAt && after > created, `last activity ${String(after)}, created ${String(created)}, stopped ${String(stoppedAt)}`);
    } finally {
      await own.stop();
    }
  });

  it('drops a client that stops answering pings, and its watchers hear it went offline', async () => {
    const org = await server.createOrg();
    const [w, t] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cw = await server.loggedIn(w);
    await cw.request('user_last_activity_subscribe', { id: t._id });
    const mute = new WebSocket(server.wsUrl, { autoPong: false });
    await new Promise((r) => mute.once('open', r));
    mute.send(JSON.stringify({ request: { user_login: { organization_id: org, login: t.login, password: t.password, device_id: 'mute' }, id: 1 } }));
    assert.deepEqual(await cw.next((f) => f.last_activity !== undefined), { last_activity: { [t._id]: 0 } });
    const off = await cw.next((f) => f.last_activity !== undefined, 10_000);
    assert.ok(off.last_activity[t._id] > 0);
    assert.equal(mute.readyState === WebSocket.CLOSED || mute.readyState === WebSocket.CLOSING, true);
    await cw.close();
  });

  it('lists online users as public objects, counts and ids, within the organization and not across blocks', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const cc = await server.loggedIn(c);
    await server.loggedIn(await server.createUser(await server.createOrg()));
    assert.equal((await ca.request('online_list', { count: true })).count, 3);
    assert.deepEqual((await ca.request('online_list', { idsOnly: true })).users, [a._id, b._id, c._id].sort());
    const users = (await ca.request('online_list', {})).users as Record<string, unknown>[];
    assert.equal(users.length, 3);
    for (const u of users) assert.deepEqual([u.password_hash, u.organization_id, u.encrypted_password], [undefined, undefined, undefined]);
    assert.deepEqual((await ca.request('online_list', { idsOnly: true, limit: 1, offset: 1 })).users, [[a._id, b._id, c._id].sort()[1]]);
    await cc.request('block_user', { ids: [a._id] });
    assert.equal((await ca.request('online_list', { count: true })).count, 2);
    assert.notEqual((await ca.request('user_last_activity', { ids: [c._id] })).last_activity[c._id], 0);
    const http = await fetch(`${server.httpUrl}/admin/activity/online`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ organizationId: org, userId: b._id, idsOnly: true }) });
    assert.equal(http.status, 200);
    assert.deepEqual(((await http.json()) as { users: string[] }).users, [a._id, b._id, c._id].sort());
    const foreign = await fetch(`${server.httpUrl}/admin/activity/online`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ organizationId: org, userId: '0123456789abcdef01234567', count: true }) });
    assert.equal(foreign.status, 422);
    assert.deepEqual((await ca.request('user_last_activity_subscribe', {})).error, { status: 422, message: 'User ID missed.' });
    assert.deepEqual((await ca.request('user_last_activity_subscribe', { id: '0123456789abcdef01234567' })).error, { status: 422, message: 'The specified user is incorrect.' });
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('pushes to a connected but backgrounded device too', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    assert.equal((await cb.request('activity_status', { isInactive: true })).success, true);
    ca.send({ message: { id: 'bg', cid, body: 'wake up' } });
    assert.equal((await cb.next((f) => f.message?.body === 'wake up')).message.cid, cid);
    const pushes = (await server.node.store.pushOutbox.pending(1000, Date.now())).filter((p) => p.user_id === b._id);
    assert.equal(pushes.length, 1);
    await cb.request('activity_status', { isInactive: false });
    ca.send({ message: { id: 'fg', cid, body: 'again' } });
    await cb.next((f) => f.message?.body === 'again');
    assert.equal((await server.node.store.pushOutbox.pending(1000, Date.now())).filter((p) => p.user_id === b._id).length, 1);
    await Promise.all([ca.close(), cb.close()]);
  });
});
