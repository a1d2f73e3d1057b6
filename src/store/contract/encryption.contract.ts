import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { DeviceRef, EncryptedDeviceRecord, MessageRecord, OneTimePreKey, Store } from '../store.js';
import { freshOrg } from './harness.js';

const DAY = 86_400_000;
const NOW = 1_700_000_000_000;

/** A random 32-byte public key in base64, as clients send them. */
const key = (): string => randomBytes(32).toString('base64');
const keys = (n: number): OneTimePreKey[] => Array.from({ length: n }, () => ({ key_id: null, pre_key: key() }));

function bundle(org: string, user: string, device: string, fields: Partial<EncryptedDeviceRecord> = {}): EncryptedDeviceRecord {
  return { organization_id: org, user_id: user, device_id: device, identity_key: key(), signed_key: key(), created_at: NOW, updated_at: NOW, expires_at: NOW + 30 * DAY, ...fields };
}

/** Contract of EncryptedDeviceStore and EncryptedInboxStore (with MessageStore.insert's inbox rows). */
export function encryptionContract(store: () => Store): void {
  describe('EncryptedDeviceStore', () => {
    it('upserts a bundle per (user, device), replacing its pre-keys, and lists live bundles of the organization only', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const first = bundle(org, a, 'phone');
      await store().encryptedDevices.register(first, keys(3), 20);
      await store().encryptedDevices.register(bundle(org, a, 'laptop', { created_at: NOW + 1, updated_at: NOW + 1 }), keys(1), 20);
      await store().encryptedDevices.register(bundle(org, b, 'phone'), keys(1), 20);
      const renewed = bundle(org, a, 'phone', { created_at: NOW + 5, updated_at: NOW + 5, expires_at: NOW + 31 * DAY });
      await store().encryptedDevices.register(renewed, keys(2), 20);
      const mine = await store().encryptedDevices.forUser(org, a, NOW + 10);
      assert.deepEqual(mine.map((d) => d.device_id), ['phone', 'laptop']);
      assert.deepEqual(mine[0], { ...renewed, created_at: NOW }, 'created_at is kept, the rest replaced');
      assert.equal(await store().encryptedDevices.preKeyCount(a, 'phone'), 2);
      assert.deepEqual(await store().encryptedDevices.forUser(await freshOrg(store()), a, NOW), []);
      assert.deepEqual((await store().encryptedDevices.forUser(org, a, NOW + 30 * DAY + 2)).map((d) => d.device_id), ['phone'], 'the laptop bundle lapsed');
      const live = await store().encryptedDevices.devicesOf(org, [a, b, newId()], NOW + 10);
      assert.deepEqual(live.map((d) => `${d.user_id === a ? 'a' : 'b'}:${d.device_id}`).sort(), ['a:laptop', 'a:phone', 'b:phone']);
    });

    it('hands out each device\'s first one-time pre-key once, in the order sent, only to its organization', async () => {
      const org = await freshOrg(store());
      const [a, b, c] = [newId(), newId(), newId()];
      const named: OneTimePreKey[] = [{ key_id: 'AAAAAQ', pre_key: 'k1' }, { key_id: 'AAAAAg', pre_key: 'k2' }];
      await store().encryptedDevices.register(bundle(org, a, 'phone'), named, 20);
      await store().encryptedDevices.register(bundle(org, a, 'tablet', { created_at: NOW + 1 }), [], 20);
      await store().encryptedDevices.register(bundle(org, b, 'web'), keys(1), 20);
      await store().encryptedDevices.register(bundle(await freshOrg(store()), c, 'web'), keys(1), 20);
      const first = await store().encryptedDevices.claim(org, [b, a, c, a], NOW);
      assert.deepEqual(first.map((x) => [x.user_id, x.device_id]), [[b, 'web'], [a, 'phone'], [a, 'tablet']], 'users in request order, another organization\'s user absent');
      assert.equal(first[1]?.one_time_pre_key, 'k1');
      assert.equal(first[2]?.one_time_pre_key, undefined, 'a device without pre-keys still has its bundle handed out');
      const second = await store().encryptedDevices.claim(org, [a], NOW);
      assert.equal(second[0]?.one_time_pre_key, 'k2');
      assert.equal((await store().encryptedDevices.claim(org, [a], NOW))[0]?.one_time_pre_key, undefined);
      assert.equal(await store().encryptedDevices.preKeyCount(c, 'web'), 1, 'the other organization\'s key was not touched');
      assert.deepEqual(await store().encryptedDevices.claim(org, [a], NOW + 31 * DAY), [], 'lapsed bundles are not handed out');
    });

    it('never hands the same one-time pre-key to two concurrent claims', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      await store().encryptedDevices.register(bundle(org, a, 'phone'), keys(40), 20);
      await store().encryptedDevices.register(bundle(org, b, 'phone'), keys(40), 20);
      await store().encryptedDevices.register(bundle(org, b, 'laptop'), keys(40), 20);
      // 70 claims at once, each for both users: 140 claims on b's devices, 70 on a's.
      const results = await Promise.all(Array.from({ length: 70 }, () => store().encryptedDevices.claim(org, [a, b], NOW)));
      const handed = results.flat().flatMap((x) => (x.one_time_pre_key === undefined ? [] : [`${x.user_id}:${x.device_id}:${x.one_time_pre_key}`]));
      assert.equal(new Set(handed).size, handed.length, 'a key was handed out twice');
      // Every key is handed out once the claims outnumber them (SKIP LOCKED may make a claim
      // find none while another still holds the last ones; the total comes out exact).
      assert.equal(handed.length, 120);
      for (const [u, d] of [[a, 'phone'], [b, 'phone'], [b, 'laptop']] as const) assert.equal(await store().encryptedDevices.preKeyCount(u, d), 0);
    });

    it('keeps at most maxDevices bundles per user, dropping the one registered longest ago', async () => {
      const org = await freshOrg(store());
      const a = newId();
      for (const [i, device] of ['d1', 'd2', 'd3'].entries()) await store().encryptedDevices.register(bundle(org, a, device, { updated_at: NOW + i }), keys(1), 2);
      assert.deepEqual((await store().encryptedDevices.forUser(org, a, NOW)).map((d) => d.device_id), ['d2', 'd3']);
      assert.equal(await store().encryptedDevices.preKeyCount(a, 'd1'), 0);
      await store().encryptedDevices.register(bundle(org, a, 'd2', { updated_at: NOW + 10 }), keys(1), 2);
      assert.deepEqual((await store().encryptedDevices.forUser(org, a, NOW)).map((d) => d.device_id), ['d2', 'd3'], 're-registering a kept device evicts nothing');
    });

    it('deletes a device, a user\'s devices and lapsed devices with their pre-keys, within the organization', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      await store().encryptedDevices.register(bundle(org, a, 'd1'), keys(2), 20);
      await store().encryptedDevices.register(bundle(org, a, 'd2'), keys(2), 20);
      await store().encryptedDevices.register(bundle(org, b, 'd1', { expires_at: NOW + 5 }), keys(2), 20);
      assert.equal(await store().encryptedDevices.delete(await freshOrg(store()), a, 'd1'), false);
      assert.equal(await store().encryptedDevices.delete(org, b, 'd9'), false);
      assert.equal(await store().encryptedDevices.delete(org, a, 'd1'), true);
      assert.equal(await store().encryptedDevices.delete(org, a, 'd1'), false);
      assert.equal(await store().encryptedDevices.preKeyCount(a, 'd1'), 0);
      assert.ok((await store().encryptedDevices.sweep(NOW + 5)) >= 1);
      assert.equal(await store().encryptedDevices.preKeyCount(b, 'd1'), 0);
      assert.equal(await store().encryptedDevices.delete(org, b, 'd1'), false, 'swept');
      await store().encryptedDevices.deleteUser(org, a);
      assert.deepEqual(await store().encryptedDevices.forUser(org, a, NOW), []);
      assert.equal(await store().encryptedDevices.preKeyCount(a, 'd2'), 0);
    });
  });

  describe('EncryptedInboxStore', () => {
    /** What message_list does: read the queue, then acknowledge it and keep what this call removed. */
    async function take(org: string, device: DeviceRef, cid: string, query: { limit: number; ids?: string[] }, now: number): Promise<MessageRecord[]> {
      const listed = await store().encryptedInbox.queued(org, device, cid, query, now);
      const handed = new Set(await store().encryptedInbox.ack(device, cid, listed.map((m) => m._id)));
      return listed.filter((m) => handed.has(m._id));
    }

    async function setup(): Promise<{ org: string; cid: string; a: string; b: string; msg: (fields?: Partial<MessageRecord>) => MessageRecord; send: (m: MessageRecord, devices: readonly [string, string][], hidden?: string[]) => Promise<string> }> {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const conv = await store().conversations.create({ _id: newId(), organization_id: org, type: 'u', name: null, description: null, owner_id: a, opponent_id: b, image_object: null, is_encrypted: true, created_at: 1 }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
      let clock = NOW;
      const msg = (fields: Partial<MessageRecord> = {}): MessageRecord => {
        clock += 1000;
        return { _id: newIdAt(clock), organization_id: org, cid: conv._id, from: a, client_id: null, body: `ciphertext-${clock}`, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: 1, t: 1, created_at: clock, updated_at: clock, ...fields };
      };
      const send = async (m: MessageRecord, devices: readonly [string, string][], hidden: string[] = []): Promise<string> => {
        const r = await store().messages.insert(m, hidden, [], { devices: devices.map(([user_id, device_id]) => ({ user_id, device_id })), expiresAt: m.created_at + 30 * DAY });
        return r.record._id;
      };
      return { org, cid: conv._id, a, b, msg, send };
    }

    it('queues a message per device with the message and hands each device its own rows once, oldest first', async () => {
      const { org, cid, a, b, msg, send } = await setup();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await send(msg(), [[b, 'phone'], [b, 'web'], [a, 'laptop']]));
      const phone = { user_id: b, device_id: 'phone' };
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 3);
      const page = await take(org, phone, cid, { limit: 2 }, NOW);
      assert.deepEqual(page.map((m) => m._id), ids.slice(0, 2));
      assert.equal(page[0]?.body, (await store().messages.byId(org, ids[0] ?? ''))?.body);
      assert.deepEqual((await take(org, phone, cid, { limit: 10 }, NOW)).map((m) => m._id), ids.slice(2));
      assert.deepEqual(await take(org, phone, cid, { limit: 10 }, NOW), [], 'handed once');
      const web = { user_id: b, device_id: 'web' };
      assert.deepEqual((await take(org, web, cid, { limit: 10, ids: [ids[1] ?? '', newId()] }, NOW)).map((m) => m._id), [ids[1]], 'ids pick among the queued');
      assert.equal(await store().encryptedInbox.pending(web, cid, NOW), 2);
      assert.deepEqual(await take(await freshOrg(store()), web, cid, { limit: 10 }, NOW), [], 'another organization\'s id matches no message');
      assert.equal((await take(org, { user_id: a, device_id: 'laptop' }, cid, { limit: 10 }, NOW)).length, 3);
      assert.deepEqual(await take(org, { user_id: a, device_id: 'phone' }, cid, { limit: 10 }, NOW), [], 'a device nothing was queued for');
    });

    it('queues a retried client id once, and drops a message the user hides', async () => {
      const { org, cid, b, msg, send } = await setup();
      const phone = { user_id: b, device_id: 'phone' };
      const first = msg({ client_id: 'c1' });
      await send(first, [[b, 'phone']]);
      assert.equal((await take(org, phone, cid, { limit: 10 }, NOW)).length, 1);
      await send(msg({ client_id: 'c1' }), [[b, 'phone']]);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 0, 'a retry is not queued again');
      const hidden = await send(msg(), [[b, 'phone'], [b, 'web']]);
      await store().messages.hideFor(org, cid, [hidden], b);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 0);
      assert.equal(await store().encryptedInbox.pending({ user_id: b, device_id: 'web' }, cid, NOW), 0);
    });

    it('acknowledges each row once: the second of two acks gets nothing, and queued removes nothing', async () => {
      const { org, cid, b, msg, send } = await setup();
      const phone = { user_id: b, device_id: 'phone' };
      const [m1, m2] = [await send(msg(), [[b, 'phone']]), await send(msg(), [[b, 'phone']])];
      assert.equal((await store().encryptedInbox.queued(org, phone, cid, { limit: 10 }, NOW)).length, 2);
      assert.equal((await store().encryptedInbox.queued(org, phone, cid, { limit: 10 }, NOW)).length, 2, 'reading removes nothing');
      assert.deepEqual(await store().encryptedInbox.ack(phone, cid, [m1, newId()]), [m1]);
      assert.deepEqual(await store().encryptedInbox.ack(phone, cid, [m1]), []);
      assert.deepEqual(await store().encryptedInbox.ack({ user_id: b, device_id: 'web' }, cid, [m2]), [], 'another device\'s rows are its own');
      assert.deepEqual((await store().encryptedInbox.queued(org, phone, cid, { limit: 10 }, NOW)).map((m) => m._id), [m2]);
    });

    it('gives concurrent listings of one device disjoint messages and loses none', async () => {
      const { org, cid, b, msg, send } = await setup();
      const sent = new Set<string>();
      for (let i = 0; i < 30; i++) sent.add(await send(msg(), [[b, 'phone']]));
      const phone = { user_id: b, device_id: 'phone' };
      const pages = await Promise.all(Array.from({ length: 20 }, (_, i) => take(org, phone, cid, { limit: 3 + (i % 4) }, NOW)));
      const got = pages.flat().map((m) => m._id);
      assert.equal(new Set(got).size, got.length, 'a message was handed twice');
      const acks = await Promise.all(Array.from({ length: 10 }, () => store().encryptedInbox.ack(phone, cid, [...sent])));
      const acked = acks.flat();
      assert.equal(new Set(acked).size, acked.length, 'a row was acknowledged twice');
      assert.deepEqual(new Set([...got, ...acked]), sent, 'none lost');
    });

    it('drops rows with their message, their device, a new identity key, and when they lapse', async () => {
      const { org, cid, a, b, msg, send } = await setup();
      const phone = { user_id: b, device_id: 'phone' };
      await store().encryptedDevices.register(bundle(org, b, 'phone', { identity_key: 'id-1' }), [], 20);
      const gone = await send(msg(), [[b, 'phone']]);
      await send(msg(), [[b, 'phone']]);
      assert.deepEqual(await store().messages.deleteForAll(org, cid, [gone]), [gone]);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 1);
      await store().encryptedDevices.register(bundle(org, b, 'phone', { identity_key: 'id-1', updated_at: NOW + 1 }), [], 20);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 1, 'same identity: kept');
      await store().encryptedDevices.register(bundle(org, b, 'phone', { identity_key: 'id-2', updated_at: NOW + 2 }), [], 20);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 0, 'new identity: dropped');
      await send(msg(), [[b, 'phone']]);
      assert.equal(await store().encryptedDevices.delete(org, b, 'phone'), true);
      assert.equal(await store().encryptedInbox.pending(phone, cid, NOW), 0, 'device deleted');
      const late = msg();
      await send(late, [[a, 'tablet']]);
      const tablet = { user_id: a, device_id: 'tablet' };
      assert.equal(await store().encryptedInbox.pending(tablet, cid, late.created_at + 30 * DAY), 0, 'lapsed rows are not pending');
      assert.deepEqual(await take(org, tablet, cid, { limit: 10 }, late.created_at + 30 * DAY), []);
      await send(msg(), [[a, 'tablet']]);
      await store().conversations.delete(org, cid);
      assert.equal(await store().encryptedInbox.pending(tablet, cid, NOW), 0, 'conversation deleted');
    });

    it('sweeps lapsed rows and encrypted messages past their lifetime, keeping plain and newer ones', async () => {
      const { org, cid, b, msg, send } = await setup();
      const old = msg();
      await send(old, [[b, 'phone']]);
      await store().reactions.add(old._id, cid, b, 'x', NOW);
      const plain = msg({ encrypted_message_type: null });
      await send(plain, [[b, 'phone']]);
      const recent = msg();
      await send(recent, [[b, 'phone']]);
      assert.ok((await store().encryptedInbox.sweep(NOW, recent.created_at - 1)) >= 1);
      assert.equal(await store().messages.byId(org, old._id), undefined);
      assert.deepEqual(await store().reactions.list(old._id), {});
      assert.ok(await store().messages.byId(org, plain._id), 'a message without encrypted_message_type stays');
      assert.ok(await store().messages.byId(org, recent._id));
      const phone = { user_id: b, device_id: 'phone' };
      assert.deepEqual((await take(org, phone, cid, { limit: 10 }, NOW)).map((m) => m._id), [plain._id, recent._id]);
      await send(msg(), [[b, 'web']]);
      await store().encryptedInbox.sweep(NOW + 60 * DAY, 0);
      assert.equal(await store().encryptedInbox.pending({ user_id: b, device_id: 'web' }, cid, 0), 0, 'lapsed rows swept');
    });
  });
}
