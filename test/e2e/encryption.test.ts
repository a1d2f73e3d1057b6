import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestDevice, type WireBundle } from '../helpers/e2ee-device.js';
import { TestServer, type TestUser } from '../helpers/server.js';

const err = (r: Frame): unknown => r.error;
/** The reply, after checking it is not an error. */
const ok = (r: Frame): Frame => {
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  return r;
};

/**
 * End-to-end encryption packets (protocol.md §3.11) with real key material made in the test
 * (Ed25519 and X25519 from node:crypto): key bundles, one-time pre-keys handed out once,
 * encrypted private conversations listed per device, and what the server refuses.
 */
describe('end-to-end encryption', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  /** An organization with two users, each signed in on one device. */
  async function pair(): Promise<{ org: string; a: TestUser; b: TestUser; ca: TestClient; cb: TestClient }> {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [ca, cb] = await Promise.all([server.loggedIn(a, 'a-phone'), server.loggedIn(b, 'b-phone')]);
    return { org, a, b, ca, cb };
  }

  it('registers, lists, renews and replaces a device\'s bundle', async () => {
    const { a, ca, cb } = await pair();
    const phone = new TestDevice();
    assert.equal(ok(await ca.request('device_register', phone.register(5))).success, true);
    assert.deepEqual((await ca.request('device_list', {})).devices, [{ identity_key: phone.identityKey, signed_key: phone.signedKey, device_id: 'a-phone' }]);
    const ca2 = await server.loggedIn(a, 7 as unknown as string);
    const tablet = new TestDevice();
    ok(await ca2.request('device_register', tablet.register(3, 'array')));
    assert.deepEqual((await ca.request('device_list', {})).devices.map((d: Frame) => d.device_id), ['a-phone', '7'], 'numeric device ids become strings');
    // A new identity on the same device replaces the bundle and its pre-keys.
    const reinstalled = new TestDevice();
    ok(await ca.request('device_register', reinstalled.register(2)));
    const listed = (await ca.request('device_list', {})).devices as Frame[];
    assert.deepEqual(listed[0], { identity_key: reinstalled.identityKey, signed_key: reinstalled.signedKey, device_id: 'a-phone' });
    assert.equal(await server.node.store.encryptedDevices.preKeyCount(a._id, 'a-phone'), 2);
    assert.deepEqual((await cb.request('device_list', {})).devices, [], 'another user sees only their own');
    await Promise.all([ca.close(), ca2.close(), cb.close()]);
  });

  it('answers SAMA\'s errors for bad bundles', async () => {
    const { ca } = await pair();
    const d = new TestDevice();
    const good = d.register(2);
    const bad = async (body: Record<string, unknown>) => err(await ca.request('device_register', body));
    const identity = { status: 422, message: 'Incorrect identity device key.' };
    const signed = { status: 422, message: 'Incorrect signed key.' };
    const preKeys = { status: 422, message: 'Incorrect one time pre keys.' };
    assert.deepEqual(await bad({ signed_key: good.signed_key, one_time_pre_keys: good.one_time_pre_keys }), identity);
    assert.deepEqual(await bad({ ...good, identity_key: 'k'.repeat(256) }), identity);
    assert.deepEqual(await bad({ ...good, identity_key: '' }), identity);
    assert.deepEqual(await bad({ ...good, identity_key: 5 }), identity);
    assert.deepEqual(await bad({ identity_key: good.identity_key, one_time_pre_keys: good.one_time_pre_keys }), signed);
    assert.deepEqual(await bad({ ...good, signed_key: 's'.repeat(256) }), signed);
    assert.deepEqual(await bad({ identity_key: good.identity_key, signed_key: good.signed_key }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: d.newPreKeys(101) }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: Object.fromEntries(d.newPreKeys(101).map((k, i) => [`k${i}`, k])) }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: ['ok', 'x'.repeat(256)] }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: [1] }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: { k: { nested: true } } }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: { ['n'.repeat(256)]: 'key' } }), preKeys);
    assert.deepEqual(await bad({ ...good, one_time_pre_keys: 'key' }), preKeys);
    assert.deepEqual(await bad({ ...good, private_key: 'no' }), '"private_key" is not allowed');
    assert.deepEqual((await ca.request('device_list', {})).devices, [], 'nothing was stored');
    assert.deepEqual(ok(await ca.request('device_register', { ...good, one_time_pre_keys: [] })).success, true, 'no pre-keys is allowed');
    assert.equal(err(await ca.request('device_list', { x: 1 })), '"x" is not allowed');
    await ca.close();
  });

  it('hands out verified bundles with one-time pre-keys in order, each once', async () => {
    const { a, b, ca, cb } = await pair();
    const bob = new TestDevice();
    const reg = bob.register(3);
    ok(await cb.request('device_register', reg));
    const order = Object.values(reg.one_time_pre_keys);
    const handed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = ok(await ca.request('request_keys', { user_ids: [b._id] }));
      assert.deepEqual(Object.keys(r.devices), [b._id]);
      const [bundle] = r.devices[b._id] as WireBundle[];
      assert.ok(bundle);
      assert.deepEqual(Object.keys(bundle), ['identity_key', 'signed_key', 'one_time_pre_key'], 'no device id is disclosed');
      TestDevice.verified(bundle);
      handed.push(bundle.one_time_pre_key ?? '');
    }
    assert.deepEqual(handed, order);
    const exhausted = ok(await ca.request('request_keys', { user_ids: [b._id, a._id, '000000000000000000000000', 'not-an-id'] }));
    assert.deepEqual(exhausted.devices, { [b._id]: [{ identity_key: bob.identityKey, signed_key: bob.signedKey }] }, 'no pre-key left; users without bundles and unknown ids are absent');
    assert.deepEqual(ok(await ca.request('request_keys', { user_ids: [] })).devices, {});
    await Promise.all([ca.close(), cb.close()]);
  });

  it('never hands one pre-key to two of many concurrent requests', async () => {
    const { org, b, cb } = await pair();
    const users = await Promise.all([1, 2, 3, 4].map(() => server.createUser(org)));
    const clients = await Promise.all(users.map((u) => server.loggedIn(u, 'd')));
    const bob = new TestDevice();
    const reg = bob.register(50, 'array');
    ok(await cb.request('device_register', reg));
    const replies = await Promise.all(clients.flatMap((c) => Array.from({ length: 15 }, () => c.request('request_keys', { user_ids: [b._id] }))));
    const keys = replies.map((r) => (ok(r).devices[b._id] as WireBundle[])[0]?.one_time_pre_key).filter((k): k is string => k !== undefined);
    assert.equal(keys.length, 50, 'every key handed out');
    assert.deepEqual(new Set(keys), new Set(reg.one_time_pre_keys as string[]), 'each key once');
    await Promise.all([cb.close(), ...clients.map((c) => c.close())]);
  });

  it('answers SAMA\'s errors for bad key requests', async () => {
    const { ca } = await pair();
    const bad = async (body: unknown) => err(await ca.request('request_keys', body));
    const usersArray = { status: 422, message: 'Incorrect users array.' };
    const userId = { status: 422, message: 'Incorrect user id.' };
    assert.deepEqual(await bad({}), usersArray);
    assert.deepEqual(await bad({ user_ids: 'abc' }), usersArray);
    assert.deepEqual(await bad({ user_ids: Array.from({ length: 51 }, (_, i) => `u${i}`) }), usersArray);
    assert.deepEqual(await bad({ user_ids: ['ok', 5] }), userId);
    assert.deepEqual(await bad({ user_ids: [{}] }), userId);
    assert.deepEqual(await bad({ user_ids: [], extra: 1 }), '"extra" is not allowed');
    await ca.close();
  });

  it('keeps other users\' and other organizations\' devices out of reach without telling them apart', async () => {
    const { a, ca, cb } = await pair();
    const otherOrg = await server.createOrg();
    const carol = await server.createUser(otherOrg);
    const cc = await server.loggedIn(carol, 'carol-phone');
    const carolDevice = new TestDevice();
    ok(await cc.request('device_register', carolDevice.register(2)));
    ok(await cb.request('device_register', new TestDevice().register(2)));
    const aDevice = new TestDevice();
    ok(await ca.request('device_register', aDevice.register(1)));
    const forbidden = { status: 403, message: 'Forbidden.' };
    // Another organization's user: nothing handed out, nothing consumed.
    const r = ok(await ca.request('request_keys', { user_ids: [carol._id] }));
    assert.deepEqual(r.devices, {});
    assert.equal(await server.node.store.encryptedDevices.preKeyCount(carol._id, 'carol-phone'), 2);
    assert.ok(!JSON.stringify(r).includes(carolDevice.identityKey));
    // Someone else's device id, another organization's, and one nobody has: the same 403.
    for (const deviceId of ['b-phone', 'carol-phone', 'nobody-has-this']) {
      const reply = await ca.request('device_delete', { device_id: deviceId });
      assert.deepEqual(err(reply), forbidden, deviceId);
    }
    assert.equal((await cb.request('device_list', {})).devices.length, 1, 'bob keeps his bundle');
    assert.equal((await cc.request('device_list', {})).devices.length, 1, 'carol keeps hers');
    assert.equal(err(await ca.request('device_delete', {})), '"device_id" is required');
    // One's own other device (by number), then this one.
    const ca7 = await server.loggedIn(a, 7 as unknown as string);
    ok(await ca7.request('device_register', new TestDevice().register(1)));
    assert.deepEqual(ok(await ca.request('device_delete', { device_id: 7 })).success, true);
    assert.deepEqual(ok(await ca.request('device_delete', { device_id: 'a-phone' })).success, true);
    assert.deepEqual((await ca.request('device_list', {})).devices, []);
    assert.deepEqual(err(await ca.request('device_delete', { device_id: 'a-phone' })), forbidden);
    await Promise.all([ca.close(), ca7.close(), cb.close(), cc.close()]);
  });

  it('drops the bundle of a device that logs out or an account that is deleted', async () => {
    const { a, b, ca, cb } = await pair();
    ok(await ca.request('device_register', new TestDevice().register(2)));
    ok(await cb.request('device_register', new TestDevice().register(2)));
    ok(await ca.request('user_logout', {}));
    const again = await server.loggedIn(a, 'a-tablet');
    assert.deepEqual((await again.request('device_list', {})).devices, []);
    ok(await cb.request('user_delete', {}));
    assert.deepEqual(ok(await again.request('request_keys', { user_ids: [b._id] })).devices, {});
    assert.equal(await server.node.store.encryptedDevices.preKeyCount(b._id, 'b-phone'), 0);
    await Promise.all([ca.close(), cb.close(), again.close()]);
  });

  /**
   * Alice (phone, and a laptop that is offline at first) and Bob (phone online, tablet offline,
   * and a watch that never registered keys) in an encrypted private conversation.
   */
  async function encryptedChat(): Promise<{ a: TestUser; b: TestUser; cid: string; devices: Record<string, TestDevice>; clients: Record<string, TestClient> }> {
    const { a, b, ca, cb } = await pair();
    const devices: Record<string, TestDevice> = { 'a-phone': new TestDevice(), 'a-laptop': new TestDevice(), 'b-phone': new TestDevice(), 'b-tablet': new TestDevice() };
    const clients: Record<string, TestClient> = { 'a-phone': ca, 'b-phone': cb };
    for (const [id, user] of [['a-laptop', a], ['b-tablet', b]] as const) {
      const c = await server.loggedIn(user, id);
      ok(await c.request('device_register', devices[id]?.register(5)));
      await c.close();
    }
    ok(await ca.request('device_register', devices['a-phone']?.register(5)));
    ok(await cb.request('device_register', devices['b-phone']?.register(5)));
    const conv = ok(await ca.request('conversation_create', { type: 'u', participants: [b._id], is_encrypted: true })).conversation;
    assert.equal(conv.is_encrypted, true);
    await cb.collect(() => true, 100);
    return { a, b, cid: conv._id as string, devices, clients };
  }

  it('queues each message of an encrypted conversation for every other device with a bundle, and lists it to each device once', async () => {
    const { a, b, cid, devices, clients } = await encryptedChat();
    const ca = clients['a-phone'] as TestClient;
    const cb = clients['b-phone'] as TestClient;
    const alice = devices['a-phone'] as TestDevice;
    // Alice fetches the bundles of Bob's devices and of her own other device, and encrypts for all.
    const keys = ok(await ca.request('request_keys', { user_ids: [b._id, a._id] })).devices as Record<string, WireBundle[]>;
    const targets = [...(keys[b._id] ?? []), ...(keys[a._id] ?? []).filter((k) => k.identity_key !== alice.identityKey)];
    assert.equal(targets.length, 3);
    const secret = 'meet me at the usual place';
    const sealed = alice.encryptFor(targets, secret);
    ca.send({ message: { id: 'e1', cid, ...sealed, encrypted_message_type: 0 } });
    const ask = await ca.next((f) => f.ask?.mid === 'e1');
    const mid = ask.ask.server_mid as string;
    // Bob's phone is online: it gets the message live and decrypts it.
    const live = await cb.next((f) => f.message?._id === mid);
    assert.equal(live.message.encrypted_message_type, 0);
    assert.equal((devices['b-phone'] as TestDevice).decrypt(live.message), secret);
    // The server holds ciphertext only.
    const stored = await server.node.store.messages.byId(a.orgId, mid);
    assert.ok(stored?.body && !stored.body.includes('usual place') && !JSON.stringify(stored.x).includes('usual place'));
    // The tablet, offline when it was sent, lists it once and decrypts it.
    const tablet = await server.loggedIn(b, 'b-tablet');
    const listed = ok(await tablet.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual(listed.map((m) => m._id), [mid]);
    assert.equal(listed[0]?.encrypted_message_type, 0);
    assert.equal((devices['b-tablet'] as TestDevice).decrypt(listed[0] as { body: string; x: { header: Record<string, never> } }), secret);
    assert.deepEqual(ok(await tablet.request('message_list', { cid })).messages, [], 'listed once');
    // Alice's laptop (a carbon) lists it too; her phone, which sent it, has nothing queued.
    const laptop = await server.loggedIn(a, 'a-laptop');
    const carbon = ok(await laptop.request('message_list', { cid })).messages as Frame[];
    assert.equal((devices['a-laptop'] as TestDevice).decrypt(carbon[0] as { body: string; x: { header: Record<string, never> } }), secret);
    assert.deepEqual(ok(await ca.request('message_list', { cid })).messages, []);
    // A device without a bundle gets nothing queued.
    const watch = await server.loggedIn(b, 'b-watch');
    assert.deepEqual(ok(await watch.request('message_list', { cid })).messages, []);
    // Bob's phone acknowledges the live copy by naming it, then has nothing more.
    assert.deepEqual((ok(await cb.request('message_list', { cid, ids: [mid] })).messages as Frame[]).map((m) => m._id), [mid]);
    assert.deepEqual(ok(await cb.request('message_list', { cid })).messages, []);
    await Promise.all([ca.close(), cb.close(), tablet.close(), laptop.close(), watch.close()]);
  });

  it('pages a device\'s inbox oldest first and hands each message to one of two concurrent lists', async () => {
    const { b, cid, clients } = await encryptedChat();
    const ca = clients['a-phone'] as TestClient;
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      ca.send({ message: { id: `p${i}`, cid, body: `ciphertext-${i}`, encrypted_message_type: 1 } });
      sent.push((await ca.next((f) => f.ask?.mid === `p${i}`)).ask.server_mid as string);
    }
    const tablet = await server.loggedIn(b, 'b-tablet');
    const page = (ok(await tablet.request('message_list', { cid, limit: 3 })).messages as Frame[]).map((m) => m._id);
    assert.deepEqual(page, sent.slice(0, 3));
    // The tablet's two lists at once (a second socket of the same device replaces the first, so
    // both go on one socket, as a client's retry would).
    const [x, y] = await Promise.all([tablet.request('message_list', { cid, limit: 2 }), tablet.request('message_list', { cid, limit: 2 })]);
    const both = [...(ok(x).messages as Frame[]), ...(ok(y).messages as Frame[])].map((m) => m._id);
    assert.equal(new Set(both).size, both.length, 'a message was listed twice');
    const rest = (ok(await tablet.request('message_list', { cid })).messages as Frame[]).map((m) => m._id);
    assert.deepEqual([...both, ...rest].sort(), sent.slice(3).sort(), 'every message listed once');
    assert.deepEqual(ok(await tablet.request('message_list', { cid })).messages, []);
    await Promise.all([tablet.close(), ...Object.values(clients).map((c) => c.close())]);
  });

  it('lists a plain conversation as before, encrypted_message_type included', async () => {
    const { b, ca, cb } = await pair();
    const cid = ok(await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    ca.send({ message: { id: 'q', cid, body: 'sealed', encrypted_message_type: 1 } });
    await ca.next((f) => f.ask?.mid === 'q');
    const listed = ok(await cb.request('message_list', { cid })).messages as Frame[];
    assert.equal(listed[0]?.encrypted_message_type, 1);
    assert.equal(ok(await cb.request('message_list', { cid })).messages.length, 1, 'not consumed');
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('end-to-end encryption: lifetimes', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ ENCRYPTION_DEVICE_TOKEN_EXPIRES_IN: '1', ENCRYPTION_MESSAGE_EXPIRED_IN: '1' });
  });
  after(() => server.stop());

  it('lets bundles and queued messages lapse, and sweeps expired encrypted messages', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [ca, cb] = await Promise.all([server.loggedIn(a, 'a1'), server.loggedIn(b, 'b1')]);
    const bob = new TestDevice();
    ok(await cb.request('device_register', bob.register(2)));
    const cid = ok(await ca.request('conversation_create', { type: 'u', participants: [b._id], is_encrypted: true })).conversation._id as string;
    ca.send({ message: { id: 'x1', cid, body: 'ciphertext', encrypted_message_type: 1 } });
    const mid = (await ca.next((f) => f.ask?.mid === 'x1')).ask.server_mid as string;
    assert.equal(await server.node.store.encryptedInbox.pending({ user_id: b._id, device_id: 'b1' }, cid, Date.now()), 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.deepEqual(ok(await cb.request('message_list', { cid })).messages, [], 'the queued copy lapsed');
    assert.deepEqual(ok(await cb.request('device_list', {})).devices, [], 'the bundle lapsed');
    assert.deepEqual(ok(await ca.request('request_keys', { user_ids: [b._id] })).devices, {});
    // The housekeeping sweep (once a minute) removes the message itself; run it now.
    const now = Date.now();
    assert.ok((await server.node.store.encryptedInbox.sweep(now, now - server.node.config.encryptionMessageExpiredIn * 1000)) >= 1);
    assert.equal(await server.node.store.messages.byId(org, mid), undefined);
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('end-to-end encryption: logs', () => {
  const lines: string[] = [];
  let server: TestServer;
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await TestServer.start({}, pino({ level: 'trace' }, sink));
  });
  after(() => server.stop());

  it('logs no key and no ciphertext at the most verbose level, on success and on errors', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [ca, cb] = await Promise.all([server.loggedIn(a, 'a1'), server.loggedIn(b, 'b1')]);
    const alice = new TestDevice();
    const bob = new TestDevice();
    const bobKeys = bob.register(3);
    ok(await ca.request('device_register', alice.register(3)));
    ok(await cb.request('device_register', bobKeys));
    await ca.request('device_register', { ...bobKeys, identity_key: 'x'.repeat(300) });
    await ca.request('device_register', { ...bobKeys, surplus: bobKeys.signed_key });
    const cid = ok(await ca.request('conversation_create', { type: 'u', participants: [b._id], is_encrypted: true })).conversation._id as string;
    const bundles = ok(await ca.request('request_keys', { user_ids: [b._id] })).devices[b._id] as WireBundle[];
    const sealed = alice.encryptFor(bundles, 'the plaintext never leaves the clients');
    ca.send({ message: { id: 'l1', cid, ...sealed, encrypted_message_type: 0 } });
    await ca.next((f) => f.ask?.mid === 'l1');
    ca.send({ message: { id: 'l2', cid, ...sealed, encrypted_message_type: 0, unknown_field: sealed.body } });
    await ca.next((f) => f.message?.error !== undefined || f.response?.error !== undefined);
    assert.equal(bob.decrypt(ok(await cb.request('message_list', { cid })).messages[0] as { body: string; x: { header: Record<string, never> } }), 'the plaintext never leaves the clients');
    await Promise.all([ca.close(), cb.close()]);
    const text = lines.join('');
    assert.ok(lines.length > 0, 'the server logged something at all');
    const secrets = [sealed.body, ...Object.values(sealed.x.header).map((h) => h.key), alice.identityKey, bob.identityKey, bob.signedKey, ...Object.values(bobKeys.one_time_pre_keys), 'plaintext never'];
    for (const s of secrets) assert.ok(!text.includes(s), `the log holds ${s.slice(0, 20)}…`);
  });
});
