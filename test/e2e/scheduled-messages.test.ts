import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestServer, type TestUser } from '../helpers/server.js';

const isMsg = (f: Frame): boolean => f.message !== undefined && f.message.error === undefined;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('scheduled messages (parley_message_schedule, parley_scheduled_list, parley_scheduled_cancel)', () => {
  let server: TestServer;
  before(async () => {
    // A short poll: a lost wake-up would still be caught, but late enough for the timing checks to see it.
    server = await TestServer.start({ SCHEDULED_MESSAGES_MAX_PENDING: '4', SCHEDULED_MESSAGES_MAX_AHEAD_S: '3600', SCHEDULED_MESSAGES_POLL_INTERVAL_MS: '60000' });
  });
  after(() => server.stop());

  /** An org with a group of a, b and c; a and b logged in. */
  async function group(): Promise<{ org: string; a: TestUser; b: TestUser; c: TestUser; ca: TestClient; cb: TestClient; cid: string }> {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a, 'a1');
    const cb = await server.loggedIn(b, 'b1');
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'g', participants: [b._id, c._id] })).conversation._id as string;
    await cb.next((f) => f.system_message !== undefined);
    return { org, a, b, c, ca, cb, cid };
  }

  const outcome = (u: TestUser, id: string) => server.node.store.scheduledMessages.byClientId(u.orgId, u._id, id);
  /** The schedule once its outcome is recorded (just after the message went out). */
  async function settled(u: TestUser, id: string): Promise<Awaited<ReturnType<typeof outcome>>> {
    for (let i = 0; i < 40; i++) {
      const row = await outcome(u, id);
      if (row?.state !== 'pending') return row;
      await sleep(50);
    }
    return outcome(u, id);
  }

  it('sends at the time through the live path: recipients, the carbon, the offline op-log, once', async () => {
    const { a, c, ca, cb, cid } = await group();
    const ca2 = await server.loggedIn(a, 'a2');
    const sendAt = Date.now() + 1200;
    const r = await ca.request('parley_message_schedule', { id: 's-1', cid, body: 'later', x: { k: 1 }, send_at: sendAt });
    assert.deepEqual(Object.keys(r.scheduled_message).sort(), ['body', 'cid', 'created_at', 'id', 'send_at', 'x']);
    assert.deepEqual([r.scheduled_message.id, r.scheduled_message.cid, r.scheduled_message.body, r.scheduled_message.send_at], ['s-1', cid, 'later', sendAt]);
    assert.deepEqual(await cb.collect(isMsg, 300), [], 'nothing before the time');
    const got = await cb.next(isMsg, 5000);
    const arrived = Date.now();
    assert.ok(arrived >= sendAt, `arrived ${String(sendAt - arrived)} ms early`);
    // Sent by the wake-up, not the 60 s poll. The bound leaves room for a full suite on two cores
    // (it failed once at 1 s there, with PostgreSQL), and a missed wake-up would still fail it.
    assert.ok(arrived - sendAt < 3000, `arrived ${String(arrived - sendAt)} ms late`);
    assert.equal(got.message.from, a._id);
    assert.equal(got.message.body, 'later');
    assert.deepEqual(got.message.x, { k: 1 });
    // Its time is the send time, not the scheduling time.
    assert.ok(Date.parse(got.message.created_at as string) >= sendAt);
    assert.equal(got.message.t, Math.ceil(Date.parse(got.message.created_at as string) / 1000));
    // Every device of the author gets it (none sent it), and c, offline, finds it in the op-log.
    assert.equal((await ca.next(isMsg)).message._id, got.message._id);
    assert.equal((await ca2.next(isMsg)).message._id, got.message._id);
    const pushes = (await server.node.store.pushOutbox.pending(1000, Date.now())).filter((p) => p.user_id === c._id).map((p) => JSON.parse(p.payload) as Frame);
    assert.ok(pushes.some((p) => p.body === 'later' && p.cid === cid), 'the offline recipient gets a push');
    const cc = await server.loggedIn(c, 'c1');
    const logs = (await cc.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[];
    assert.ok(logs.some((l) => (JSON.parse(l.packet) as Frame).message?._id === got.message._id));
    const listed = (await cb.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual(listed.filter((m) => m.body === 'later').map((m) => m._id), [got.message._id]);
    assert.deepEqual(await cb.collect(isMsg, 300), [], 'delivered once');
    const row = await settled(a, 's-1');
    assert.deepEqual([row?.state, row?.server_mid], ['sent', got.message._id]);
    assert.deepEqual((await ca.request('parley_scheduled_list', {})).scheduled_messages, []);
    // Sent: cancelling it is the same not-found as an unknown id.
    assert.deepEqual((await ca.request('parley_scheduled_cancel', { id: 's-1' })).error, { status: 404, message: 'Scheduled message not found.' });
    await Promise.all([ca.close(), ca2.close(), cb.close(), cc.close()]);
  });

  it('lists the caller\'s own pending schedules by time, per conversation and in pages; cancels only the author\'s', async () => {
    const { a, b, ca, cb, cid } = await group();
    const other = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const base = Date.now() + 600_000;
    for (const [id, at, conv] of [['l3', base + 3, cid], ['l1', base + 1, cid], ['l2', base + 2, other]] as const) await ca.request('parley_message_schedule', { id, cid: conv, body: id, send_at: at });
    const all = await ca.request('parley_scheduled_list', {});
    assert.deepEqual(all.scheduled_messages.map((s: Frame) => s.id), ['l1', 'l2', 'l3']);
    assert.equal(all.next, undefined);
    assert.deepEqual((await ca.request('parley_scheduled_list', { cid })).scheduled_messages.map((s: Frame) => s.id), ['l1', 'l3']);
    const p1 = await ca.request('parley_scheduled_list', { limit: 2 });
    assert.deepEqual(p1.scheduled_messages.map((s: Frame) => s.id), ['l1', 'l2']);
    const p2 = await ca.request('parley_scheduled_list', { limit: 2, after: p1.next });
    assert.deepEqual([p2.scheduled_messages.map((s: Frame) => s.id), p2.next], [['l3'], undefined]);
    // b sees none of a's, and cannot cancel them: the same reply as an id that does not exist.
    assert.deepEqual((await cb.request('parley_scheduled_list', {})).scheduled_messages, []);
    const notFound = { status: 404, message: 'Scheduled message not found.' };
    assert.deepEqual((await cb.request('parley_scheduled_cancel', { id: 'l1' })).error, notFound);
    assert.deepEqual((await ca.request('parley_scheduled_cancel', { id: 'nope' })).error, notFound);
    assert.equal((await ca.request('parley_scheduled_cancel', { id: 'l1' })).success, true);
    assert.deepEqual((await ca.request('parley_scheduled_list', {})).scheduled_messages.map((s: Frame) => s.id), ['l2', 'l3']);
    assert.equal((await outcome(a, 'l1')), undefined);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('a cancelled schedule is never sent', async () => {
    const { ca, cb, cid } = await group();
    await ca.request('parley_message_schedule', { id: 'c-1', cid, body: 'never', send_at: Date.now() + 700 });
    assert.equal((await ca.request('parley_scheduled_cancel', { id: 'c-1' })).success, true);
    assert.deepEqual(await cb.collect(isMsg, 1200), []);
    assert.deepEqual(((await cb.request('message_list', { cid })).messages as Frame[]).filter((m) => m.body === 'never'), []);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('scheduling the same id again answers with the stored schedule and sends one message', async () => {
    const { a, ca, cb, cid } = await group();
    const sendAt = Date.now() + 800;
    const first = await ca.request('parley_message_schedule', { id: 'dup', cid, body: 'one', send_at: sendAt });
    const again = await ca.request('parley_message_schedule', { id: 'dup', cid, body: 'two', send_at: sendAt + 5000 });
    assert.deepEqual(again.scheduled_message, first.scheduled_message);
    assert.equal((await cb.next(isMsg, 4000)).message.body, 'one');
    assert.deepEqual(await cb.collect(isMsg, 500), []);
    assert.equal((await settled(a, 'dup'))?.state, 'sent');
    await Promise.all([ca.close(), cb.close()]);
  });

  it('a send retried after the message was stored (its node died before recording it) stores and delivers nothing new', async () => {
    const { a, ca, cb, cid } = await group();
    await ca.request('parley_message_schedule', { id: 'again', cid, body: 'once only', send_at: Date.now() + 500 });
    const first = (await cb.next(isMsg, 4000)).message as Frame;
    assert.equal((await settled(a, 'again'))?.server_mid, first._id);
    // Forget that it was sent, as a node dying between the insert and its record would: the row
    // is pending again (here: swept, and scheduled again with the same message id).
    assert.ok((await server.node.store.scheduledMessages.sweep(Date.now() + 1, 1000)) >= 1);
    assert.ok((await ca.request('parley_message_schedule', { id: 'again', cid, body: 'once only', send_at: Date.now() + 300 })).scheduled_message);
    assert.deepEqual(await cb.collect(isMsg, 1200), [], 'not delivered again');
    const row = await settled(a, 'again');
    assert.deepEqual([row?.state, row?.server_mid], ['sent', first._id]);
    assert.equal(((await cb.request('message_list', { cid })).messages as Frame[]).filter((m) => m.body === 'once only').length, 1);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('refuses bad input with clear errors and stores nothing', async () => {
    const { org, a, b, ca, cb, cid } = await group();
    const soon = Date.now() + 60_000;
    const refused = async (body: Frame): Promise<unknown> => {
      const r = await ca.request('parley_message_schedule', body);
      assert.ok(r.error !== undefined, `accepted: ${JSON.stringify(body)}`);
      return r.error;
    };
    const badTime = { status: 422, message: 'Incorrect send_at: it must be a future time within the scheduling horizon.' };
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x', send_at: Date.now() - 1000 }), badTime);
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x', send_at: Date.now() + 3_601_000 }), badTime);
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x', send_at: 'tomorrow' }), badTime);
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x', send_at: 1.5e12 + 0.5 }), badTime);
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x' }), badTime);
    assert.deepEqual(await refused({ cid, body: 'x', send_at: soon }), { status: 422, message: 'Incorrect message ID.' });
    assert.deepEqual(await refused({ id: 7, cid, body: 'x', send_at: soon }), { status: 422, message: 'Incorrect message ID.' });
    assert.deepEqual(await refused({ id: 'b1', body: 'x', send_at: soon }), { status: 422, message: "'cid' field is required." });
    assert.equal(await refused({ id: 'b1', cid, send_at: soon }), '"value" must contain at least one of [body, attachments]');
    assert.equal(await refused({ id: 'b1', cid, body: 'x', send_at: soon, x: 'str' }), '"x" must be of type object');
    assert.equal(typeof (await refused({ id: 'b1', cid, body: 'x', send_at: soon, deleted_for: [] })), 'string');
    assert.deepEqual(await refused({ id: 'b1', cid, body: 'x', send_at: soon, x: { big: 'y'.repeat(70_000) } }), { status: 413, message: 'Payload too large.' });
    assert.deepEqual(await refused({ id: 'b1', cid: '0123456789abcdef01234567', body: 'x', send_at: soon }), { status: 404, message: 'Conversation not found.' });
    // A conversation the caller is not in, in another organization or its own.
    const [d, e] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cd = await server.loggedIn(d, 'd1');
    const foreign = (await cd.request('conversation_create', { type: 'g', name: 'not a', participants: [e._id] })).conversation._id as string;
    assert.deepEqual(await refused({ id: 'b1', cid: foreign, body: 'x', send_at: soon }), { status: 403, message: 'Forbidden.' });
    // A channel where the caller is a subscriber, not an admin; a private chat with someone who blocked the caller.
    const channel = (await cb.request('conversation_create', { type: 'c', name: 'news' })).conversation._id as string;
    assert.equal((await ca.request('conversation_subscribe', { cid: channel })).success, true);
    assert.deepEqual(await refused({ id: 'b1', cid: channel, body: 'x', send_at: soon }), { status: 403, message: 'Forbidden.' });
    const direct = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    assert.equal((await cb.request('block_user', { ids: [a._id] })).success, true);
    assert.deepEqual(await refused({ id: 'b1', cid: direct, body: 'x', send_at: soon }), { status: 422, message: 'Communication is not possible - you are in a block list of the recipient.' });
    // An encrypted conversation: its messages are sealed per device when sent, so none can wait on the server.
    const sealed = (await ca.request('conversation_create', { type: 'u', participants: [d._id], is_encrypted: true })).conversation._id as string;
    assert.deepEqual(await refused({ id: 'b1', cid: sealed, body: 'x', send_at: soon }), { status: 403, message: 'Forbidden.' });
    // List and cancel: wrong types and a forged cursor.
    assert.equal(typeof (await ca.request('parley_scheduled_list', { limit: 0 })).error, 'string');
    assert.equal(typeof (await ca.request('parley_scheduled_list', { limit: 'ten' })).error, 'string');
    assert.equal(typeof (await ca.request('parley_scheduled_list', { after: 'garbage' })).error, 'string');
    assert.equal(typeof (await ca.request('parley_scheduled_list', { cid: 5 })).error, 'string');
    assert.deepEqual((await ca.request('parley_scheduled_cancel', {})).error, { status: 422, message: 'Incorrect message ID.' });
    assert.deepEqual((await ca.request('parley_scheduled_cancel', { id: ['x'] })).error, { status: 422, message: 'Incorrect message ID.' });
    // Not logged in.
    const anon = await server.client();
    assert.deepEqual((await anon.request('parley_message_schedule', { id: 'b1', cid, body: 'x', send_at: soon })).error, { status: 401, message: 'Unauthorized.' });
    assert.deepEqual((await anon.request('parley_scheduled_list', {})).error, { status: 401, message: 'Unauthorized.' });
    assert.equal(await outcome(a, 'b1'), undefined);
    // The per-user cap (4 here): one more is refused until one is cancelled. The connection stays usable.
    for (let i = 0; i < 4; i++) assert.ok((await ca.request('parley_message_schedule', { id: `cap${String(i)}`, cid, body: 'x', send_at: soon + i })).scheduled_message);
    assert.deepEqual(await refused({ id: 'cap4', cid, body: 'x', send_at: soon }), { status: 422, message: "You've reached the limit of pending scheduled messages." });
    assert.equal((await ca.request('parley_scheduled_cancel', { id: 'cap0' })).success, true);
    assert.ok((await ca.request('parley_message_schedule', { id: 'cap4', cid, body: 'x', send_at: soon })).scheduled_message);
    assert.deepEqual((await ca.request('ping', {})).pong, {});
    await Promise.all([ca.close(), cb.close(), cd.close(), anon.close()]);
  });

  it('checks membership again at send time: a removed or blocked author posts nothing, and the refusal is recorded', async () => {
    const { a, b, ca, cb, cid } = await group();
    await ca.request('parley_message_schedule', { id: 'r-1', cid, body: 'too late', send_at: Date.now() + 900 });
    // b schedules in the group, then is removed by a (the owner) before the time.
    await cb.request('parley_message_schedule', { id: 'r-2', cid, body: 'removed meanwhile', send_at: Date.now() + 900 });
    assert.ok((await ca.request('conversation_update', { id: cid, participants: { remove: [b._id] } })).conversation);
    // a, in a private chat with b, is blocked by b before the time.
    const direct = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    await ca.request('parley_message_schedule', { id: 'r-3', cid: direct, body: 'blocked meanwhile', send_at: Date.now() + 900 });
    assert.equal((await cb.request('block_user', { ids: [a._id] })).success, true);
    await sleep(1800);
    const listed = ((await ca.request('message_list', { cid })).messages as Frame[]).map((m) => m.body);
    assert.ok(listed.includes('too late'), 'a, still a member, posted');
    assert.ok(!listed.includes('removed meanwhile'));
    assert.deepEqual(((await ca.request('message_list', { cid: direct })).messages as Frame[]).filter((m) => m.body === 'blocked meanwhile'), []);
    const removed = await settled(b, 'r-2');
    assert.deepEqual([removed?.state, removed?.error, removed?.server_mid], ['failed', 'Forbidden.', null]);
    const blocked = await settled(a, 'r-3');
    assert.deepEqual([blocked?.state, blocked?.error], ['failed', 'Communication is not possible - you are in a block list of the recipient.']);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('sends nothing for an author whose account was deleted meanwhile: the schedule goes with the account', async () => {
    const { org, b, ca, cb } = await group();
    await ca.close();
    const d = await server.createUser(org);
    const cd = await server.loggedIn(d, 'd1');
    // d makes a group with b, schedules a message in it, then deletes the account.
    const own = (await cd.request('conversation_create', { type: 'g', name: 'mine', participants: [b._id] })).conversation._id as string;
    await cb.next((f) => f.system_message !== undefined);
    await cd.request('parley_message_schedule', { id: 'gone-1', cid: own, body: 'from beyond', send_at: Date.now() + 600 });
    assert.equal((await cd.request('user_delete', {})).success, true);
    assert.deepEqual(await cb.collect(isMsg, 1300), []);
    assert.deepEqual(((await cb.request('message_list', { cid: own })).messages as Frame[]).filter((m) => m.body === 'from beyond'), []);
    // user_delete erases the account's private rows (domain/erasure.ts), its pending schedules
    // among them; a row a dispatcher had already claimed is refused as Unauthorized instead.
    assert.equal(await outcome(d, 'gone-1'), undefined, 'the schedule went with the account');
    await Promise.all([cb.close(), cd.close()]);
  });

  it('sends what fell due while the server was down once it is back, once', async () => {
    const { a, b, cid, ca, cb } = await group();
    const sendAt = Date.now() + 700;
    await ca.request('parley_message_schedule', { id: 'down-1', cid, body: 'after the restart', send_at: sendAt });
    await Promise.all([ca.close(), cb.close()]);
    await server.restart({}, 1200);
    assert.ok(Date.now() > sendAt + 500);
    const cb2 = await server.loggedIn(b, 'b1');
    let found: Frame[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = ((await cb2.request('message_list', { cid })).messages as Frame[]).filter((m) => m.body === 'after the restart');
      if (found.length === 0) await sleep(100);
    }
    assert.equal(found.length, 1);
    assert.ok(Date.parse(found[0]?.created_at as string) > sendAt + 500, 'sent after the restart, not before');
    assert.equal((await settled(a, 'down-1'))?.state, 'sent');
    await cb2.close();
  });
});
