import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestServer, type TestUser } from '../helpers/server.js';

describe('messages', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  /** An org with three users, a group of all three and a logged-in socket for the first two. */
  async function group(): Promise<{ org: string; a: TestUser; b: TestUser; c: TestUser; ca: TestClient; cb: TestClient; cid: string }> {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a, 'a1');
    const cb = await server.loggedIn(b, 'b1');
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'g', participants: [b._id, c._id] })).conversation._id as string;
    await cb.next((f) => f.system_message !== undefined);
    return { org, a, b, c, ca, cb, cid };
  }

  const isMsg = (f: Frame) => f.message !== undefined && f.message.error === undefined;

  it('acks after commit, delivers to others and carbons, and stores it for offline users', async () => {
    const { a, b, c, ca, cb, cid } = await group();
    const ca2 = await server.loggedIn(a, 'a2');
    ca.send({ message: { id: 'c-1', cid, body: 'hello', x: { k: 1 }, attachments: [{ file_id: 'f1', file_name: 'x.png', custom: true }] } });
    const ask = await ca.next((f) => f.ask !== undefined);
    assert.equal(ask.ask.mid, 'c-1');
    assert.match(ask.ask.server_mid as string, /^[0-9a-f]{24}$/);
    assert.equal(typeof ask.ask.t, 'number');
    assert.equal(ask.ask.modified, null);
    assert.equal(ask.ask.bot_message, null);
    const got = await cb.next(isMsg);
    assert.deepEqual(Object.keys(got.message).sort(), ['_id', 'attachments', 'body', 'c_type', 'cid', 'created_at', 'from', 't', 'updated_at', 'x']);
    assert.equal(got.message._id, ask.ask.server_mid);
    assert.equal(got.message.c_type, 'g');
    assert.equal(got.message.from, a._id);
    assert.deepEqual(got.message.x, { k: 1 });
    assert.deepEqual(got.message.attachments, [{ file_id: 'f1', file_name: 'x.png', custom: true }]);
    assert.equal((await ca2.next(isMsg)).message._id, ask.ask.server_mid);
    assert.deepEqual(await ca.collect(isMsg), []);
    // c was offline: it recovers the message from the operations log after logging in
    const cc = await server.loggedIn(c, 'c1');
    const logs = (await cc.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string; user_id: string }[];
    const packets = logs.map((l) => JSON.parse(l.packet) as Frame);
    assert.equal(logs[0]?.user_id, c._id);
    assert.ok(packets.some((p) => p.system_message?._id === cid), 'conversation_created stored');
    assert.deepEqual(packets.find((p) => p.message)?.message, got.message);
    assert.deepEqual(await cb.collect(() => true, 50), []);
    // c (offline at send time) has a durable push waiting; b (online) has none
    const pushes = (await server.node.store.pushOutbox.pending(1000, Date.now())).filter((p) => p.organization_id === c.orgId);
    // (one for the group's creation, which c missed too, and one for the message)
    assert.deepEqual(pushes.map((p) => p.user_id), [c._id, c._id]);
    const payloads = pushes.map((p) => JSON.parse(p.payload) as Frame);
    assert.match(payloads[0]!.body, / created a new conversation$/);
    assert.deepEqual(payloads[1], { title: `${a.login} | g`, is_encrypted: false, body: 'hello', firstAttachmentUrl: null, cid });
    await Promise.all([ca.close(), ca2.close(), cb.close(), cc.close()]);
    assert.equal(b._id.length, 24);
  });

  it('answers a retried client id with the original server_mid and delivers it once', async () => {
    const { org, a, ca, cb, cid } = await group();
    ca.send({ message: { id: 'same', cid, body: 'once' } });
    const first = await ca.next((f) => f.ask !== undefined);
    await ca.close();
    const again = await server.loggedIn(a, 'a1');
    again.send({ message: { id: 'same', cid, body: 'once' } });
    const second = await again.next((f) => f.ask !== undefined);
    assert.equal(second.ask.server_mid, first.ask.server_mid);
    assert.equal(second.ask.t, first.ask.t);
    assert.equal((await cb.next(isMsg)).message._id, first.ask.server_mid);
    assert.deepEqual(await cb.collect(isMsg, 150), []);
    const list = await cb.request('message_list', { cid });
    assert.equal(list.messages.filter((m: Frame) => m.body === 'once').length, 1);
    assert.equal(org.length, 24);
    await Promise.all([again.close(), cb.close()]);
  });

  it('delivers concurrent senders in one order to everyone, the order message_list shows', async () => {
    const org = await server.createOrg();
    const users = await Promise.all([0, 1, 2, 3].map(() => server.createUser(org)));
    const sockets = await Promise.all(users.map((u) => server.loggedIn(u)));
    const cid = (await sockets[0]!.request('conversation_create', { type: 'g', name: 'race', participants: users.slice(1).map((u) => u._id) })).conversation._id as string;
    const perSender = 40;
    const received = sockets.map(() => [] as string[]);
    const done = sockets.map((s, i) => (async () => {
      const expected = i === 3 ? perSender * 3 : perSender * 2;
      while (received[i]!.length < expected) received[i]!.push(((await s.next((f) => isMsg(f) && f.message.body.startsWith('race'), 10_000)).message._id as string));
    })());
    for (let n = 0; n < perSender; n++) for (const s of sockets.slice(0, 3)) s.send({ message: { id: `m${n}`, cid, body: `race ${n}` } });
    await Promise.all(done);
    // every socket saw the others' messages; socket 3 (not sending) saw all of them in one order
    const all = received[3]!;
    assert.equal(new Set(all).size, perSender * 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(received[i], all.filter((id) => received[i]!.includes(id)));
    // message_list pages newest first, capped at MESSAGE_PRELOAD_COUNT (30)
    const listed = ((await sockets[3]!.request('message_list', { cid, limit: 200 })).messages as Frame[]).map((m) => m._id as string);
    assert.equal(listed.length, 30);
    assert.deepEqual(listed.reverse(), all.slice(-30));
    await Promise.all(sockets.map((s) => s.close()));
  });

  it('edits, reads, reacts and deletes with the events the protocol names', async () => {
    const { a, b, ca, cb, cid } = await group();
    ca.send({ message: { id: 'e1', cid, body: 'draft' } });
    const mid = (await ca.next((f) => f.ask !== undefined)).ask.server_mid as string;
    await cb.next(isMsg);
    assert.deepEqual((await cb.request('message_edit', { id: mid, body: 'hack' })).error, { status: 403, message: 'Forbidden.' });
    assert.equal((await ca.request('message_edit', { id: mid, body: 'final' })).success, true);
    assert.deepEqual((await cb.next((f) => f.message_edit !== undefined)).message_edit, { id: mid, cid, c_type: 'g', from: a._id, body: 'final' });
    let list = await ca.request('message_list', { cid });
    assert.equal(list.messages[0].status, 'sent');
    assert.deepEqual(list.messages[0].reactions, {});
    assert.equal(list.messages[0].c_type, undefined);
    assert.equal((await cb.request('message_read', { cid })).success, true);
    assert.deepEqual((await ca.next((f) => f.message_read !== undefined)).message_read, { ids: [mid], cid, from: b._id });
    assert.equal((await cb.request('message_read', { cid })).success, true);
    assert.deepEqual(await ca.collect((f) => f.message_read !== undefined, 100), []);
    list = await ca.request('message_list', { cid });
    assert.equal(list.messages[0].status, 'read');
    assert.equal(list.messages[0].body, 'final');
    assert.equal((await cb.request('message_reactions_update', { mid, add: '👍' })).success, true);
    assert.deepEqual((await ca.next((f) => f.message_reactions_update !== undefined)).message_reactions_update, { mid, cid, c_type: 'g', from: b._id, add: '👍' });
    await ca.request('message_reactions_update', { mid, add: '👍' });
    assert.deepEqual((await cb.request('message_reactions_list', { mid })).reactions, { '👍': [a._id, b._id].sort() });
    assert.deepEqual((await cb.request('message_list', { cid })).messages[0].reactions, { own: ['👍'], total: { '👍': 2 } });
    assert.equal((await cb.request('message_reactions_update', { mid })).error, '"value" must contain at least one of [add, remove]');
    assert.equal((await cb.request('message_delete', { cid, ids: [mid], type: 'myself' })).success, true);
    assert.deepEqual((await cb.request('message_list', { cid })).messages.filter((m: Frame) => m._id === mid), []);
    assert.deepEqual((await cb.request('message_reactions_update', { mid, add: 'x' })).error, { status: 422, message: 'Message ID not found.' });
    assert.deepEqual((await cb.request('message_delete', { cid, ids: [mid], type: 'all' })).error === undefined, true);
    assert.equal((await ca.request('message_delete', { cid, ids: [mid], type: 'all' })).success, true);
    assert.deepEqual((await cb.next((f) => f.message_delete !== undefined)).message_delete, { ids: [mid], cid, c_type: 'g', from: a._id, type: 'all' });
    assert.deepEqual((await ca.request('message_list', { cid })).messages.filter((m: Frame) => m._id === mid), []);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('lets only authors, owners and admins delete for all', async () => {
    const { ca, cb, cid } = await group();
    ca.send({ message: { id: 'own', cid, body: 'mine' } });
    const mid = (await ca.next((f) => f.ask !== undefined)).ask.server_mid as string;
    assert.deepEqual((await cb.request('message_delete', { cid, ids: [mid], type: 'all' })).error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual((await cb.request('message_delete', { cid, ids: [mid] })).error, { status: 422, message: 'Message type missed.' });
    assert.deepEqual((await cb.request('message_delete', { cid, ids: [mid], type: 'both' })).error, { status: 422, message: 'The type you entered is incorrect.' });
    assert.deepEqual((await cb.request('message_delete', { cid, ids: [] })).error, { status: 422, message: 'Message ID missed.' });
    assert.equal((await cb.request('message_list', { cid })).messages.length, 1);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('relays typing and custom system messages without storing them', async () => {
    const { a, c, ca, cb, cid } = await group();
    ca.send({ typing: { cid, status: 'start' } });
    const t = (await cb.next((f) => f.typing !== undefined)).typing;
    assert.deepEqual({ ...t, t: 0 }, { cid, c_type: 'g', from: a._id, t: 0, status: 'start' });
    assert.deepEqual(await ca.collect((f) => f.typing !== undefined || f.response !== undefined, 100), []);
    ca.send({ system_message: { id: 's1', cid, x: { kind: 'poke' } } });
    const ask = await ca.next((f) => f.ask !== undefined);
    assert.equal(ask.ask.mid, 's1');
    const sys = (await cb.next((f) => f.system_message?._id === 's1')).system_message;
    assert.deepEqual({ ...sys, t: 0 }, { _id: 's1', from: a._id, t: 0, x: { kind: 'poke' }, cid });
    ca.send({ system_message: { id: 's2', uids: [c._id], x: {} } });
    await ca.next((f) => f.ask?.mid === 's2');
    ca.send({ system_message: { id: 's3', x: {} } });
    assert.deepEqual(await ca.next((f) => f.system_message !== undefined), { system_message: { id: 's3', error: { status: 422, message: "'cid' or 'uids' field is required." } } });
    const cc = await server.loggedIn(c, 'c1');
    const packets = ((await cc.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[]).map((l) => JSON.parse(l.packet) as Frame);
    assert.equal(packets.filter((p) => p.typing || p.system_message?._id === 's1' || p.system_message?._id === 's2').length, 0);
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('refuses non-members, other organizations, channel subscribers and bad input, and keeps the socket', async () => {
    const { org, ca, cid } = await group();
    const outsider = await server.loggedIn(await server.createUser(org));
    const foreign = await server.loggedIn(await server.createUser(await server.createOrg()));
    outsider.send({ message: { id: 'x1', cid, body: 'hi' } });
    assert.deepEqual(await outsider.next(), { message: { id: 'x1', error: { status: 403, message: 'Forbidden.' } } });
    foreign.send({ message: { id: 'x2', cid, body: 'hi' } });
    assert.deepEqual(await foreign.next(), { message: { id: 'x2', error: { status: 404, message: 'Conversation not found.' } } });
    assert.deepEqual((await foreign.request('message_list', { cid })).error, { status: 404, message: 'Conversation not found.' });
    assert.deepEqual((await outsider.request('message_list', { cid })).error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual((await outsider.request('message_read', { cid })).error, { status: 403, message: 'Forbidden.' });
    ca.send({ message: { id: 'v', cid } });
    assert.deepEqual(await ca.next(), { message: { id: 'v', error: '"value" must contain at least one of [body, attachments]' } });
    ca.send({ message: { id: 'w', body: 'x' } });
    assert.deepEqual(await ca.next(), { message: { id: 'w', error: { status: 422, message: "'cid' field is required." } } });
    ca.send({ message: { id: 'n', cid, body: 5 } });
    assert.deepEqual(await ca.next(), { message: { id: 'n', error: { status: 422, message: 'Either message body or attachments required.' } } });
    ca.send({ message: { id: 'r', cid, body: 'x', replied_message_id: '0123456789abcdef01234567' } });
    assert.deepEqual(await ca.next(), { message: { id: 'r', error: { status: 422, message: 'Incorrect replied message ID.' } } });
    ca.send({ message: { id: 'z', cid, body: 'x', bogus: 1 } });
    assert.deepEqual(await ca.next(), { message: { id: 'z', error: '"bogus" is not allowed' } });
    assert.deepEqual((await ca.request('op_log_list', {})).error, { status: 422, message: 'Gt or lt query missed.' });
    assert.deepEqual((await ca.request('op_log_list', { created_at: { gt: 1, lt: 2 } })).error, { status: 422, message: 'Gt or lt query missed.' });
    // channels: only the owner or admins post
    const sub = await server.createUser(org);
    const cs = await server.loggedIn(sub);
    const ch = (await ca.request('conversation_create', { type: 'c', name: 'news', participants: [sub._id] })).conversation._id as string;
    cs.send({ message: { id: 'c1', cid: ch, body: 'me too' } });
    assert.deepEqual(await cs.next((f) => f.message?.id === 'c1'), { message: { id: 'c1', error: { status: 403, message: 'Forbidden.' } } });
    ca.send({ message: { id: 'c2', cid: ch, body: 'news!' } });
    assert.equal((await ca.next((f) => f.ask !== undefined)).ask.mid, 'c2');
    assert.equal((await cs.next(isMsg)).message.body, 'news!');
    assert.deepEqual((await ca.request('ping')).pong, {});
    await Promise.all([ca.close(), outsider.close(), foreign.close(), cs.close()]);
  });
});
