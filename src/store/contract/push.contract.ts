import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord, Store } from '../store.js';
import { freshOrg } from './harness.js';

function sub(org: string, user: string, device: string, fields: Partial<PushSubscriptionRecord> = {}): PushSubscriptionRecord {
  return { _id: newId(), organization_id: org, user_id: user, platform: 'ios', device_udid: device, web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: `tok-${newId()}`, created_at: 10, updated_at: 10, ...fields };
}

/** Contract of PushSubscriptionStore, PushEventStore and the outbox lease of PushOutboxStore. */
export function pushContract(store: () => Store): void {
  describe('PushSubscriptionStore', () => {
    it('upserts per (user, device), keeping id and created_at, and lists a user\'s own only', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const first = await store().pushSubscriptions.upsert(sub(org, a, 'phone'));
      const web = { platform: 'web' as const, device_token: null, web_endpoint: 'https://push.example/1', web_key_auth: 'auth', web_key_p256dh: 'p256', updated_at: 20 };
      const replaced = await store().pushSubscriptions.upsert(sub(org, a, 'phone', web));
      assert.deepEqual(replaced, { ...first, ...web });
      await store().pushSubscriptions.upsert(sub(org, a, 'tablet', { created_at: 30 }));
      await store().pushSubscriptions.upsert(sub(org, b, 'phone'));
      const mine = await store().pushSubscriptions.forUser(org, a);
      assert.deepEqual(mine.map((s) => s.device_udid), ['phone', 'tablet']);
      assert.deepEqual(mine[0], replaced);
      assert.deepEqual(await store().pushSubscriptions.forUser(await freshOrg(store()), a), []);
    });

    it('gives an endpoint or token to whoever registered it last in the organization', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      await store().pushSubscriptions.upsert(sub(org, a, 'd1', { device_token: 'shared' }));
      await store().pushSubscriptions.upsert(sub(org, a, 'd2', { platform: 'web', device_token: null, web_endpoint: 'https://push.example/shared', web_key_auth: 'x', web_key_p256dh: 'y' }));
      await store().pushSubscriptions.upsert(sub(org, b, 'd9', { device_token: 'shared' }));
      await store().pushSubscriptions.upsert(sub(org, b, 'd8', { platform: 'web', device_token: null, web_endpoint: 'https://push.example/shared', web_key_auth: 'x', web_key_p256dh: 'y' }));
      assert.deepEqual(await store().pushSubscriptions.forUser(org, a), []);
      assert.equal((await store().pushSubscriptions.forUser(org, b)).length, 2);
      const other = await freshOrg(store());
      await store().pushSubscriptions.upsert(sub(other, a, 'd1', { device_token: 'shared' }));
      assert.equal((await store().pushSubscriptions.forUser(org, b)).length, 2);
    });

    it('deletes by device, by user and by id, within the organization', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const s1 = await store().pushSubscriptions.upsert(sub(org, a, 'd1'));
      await store().pushSubscriptions.upsert(sub(org, a, 'd2'));
      await store().pushSubscriptions.upsert(sub(org, b, 'd1'));
      assert.equal(await store().pushSubscriptions.deleteDevice(await freshOrg(store()), a, 'd1'), false);
      assert.equal(await store().pushSubscriptions.deleteDevice(org, a, 'd1'), true);
      assert.equal(await store().pushSubscriptions.deleteDevice(org, a, 'd1'), false);
      assert.equal(await store().pushSubscriptions.deleteById(s1._id), false);
      const [s2] = await store().pushSubscriptions.forUser(org, a);
      assert.equal(await store().pushSubscriptions.deleteById(s2!._id), true);
      await store().pushSubscriptions.upsert(sub(org, a, 'd3'));
      await store().pushSubscriptions.deleteUser(org, a);
      assert.deepEqual(await store().pushSubscriptions.forUser(org, a), []);
      assert.equal((await store().pushSubscriptions.forUser(org, b)).length, 1);
    });
  });

  describe('PushEventStore and outbox leases', () => {
    it('writes the event with one outbox row per recipient; a claim leases rows from every other claim', async () => {
      const org = await freshOrg(store());
      const [sender, r1, r2] = [newId(), newId(), newId()];
      const now = 5_000_000;
      const rows = [r1, r2].map((user_id) => ({ _id: newId(), organization_id: org, user_id, payload: '{"title":"t"}', created_at: now }));
      await store().pushEvents.create({ _id: newId(), organization_id: org, user_id: sender, user_ids: [r1, r2], message: 'e30=', created_at: now, updated_at: now }, rows);
      const mine = (p: { organization_id: string }) => p.organization_id === org;
      assert.equal((await store().pushOutbox.pending(10_000, now)).filter(mine).length, 2);
      const claims = await Promise.all([store().pushOutbox.claim(10_000, now, now + 1000), store().pushOutbox.claim(10_000, now, now + 1000)]);
      const claimed = claims.flat().filter(mine);
      assert.deepEqual(claimed.map((p) => p._id).sort(), rows.map((r) => r._id).sort(), 'each row claimed exactly once');
      assert.deepEqual(claimed[0]?.sent_to, []);
      assert.equal((await store().pushOutbox.claim(10_000, now + 999, now + 2000)).filter(mine).length, 0, 'leased rows are not due');
      const row = rows[0]!;
      await store().pushOutbox.markFailed(row._id, now + 500, ['s1', 's2']);
      const again = (await store().pushOutbox.claim(10_000, now + 500, now + 3000)).filter(mine);
      // each claim counted a try: the first, then this one
      assert.deepEqual(again.map((p) => [p._id, p.attempts, p.sent_to]), [[row._id, 2, ['s1', 's2']]]);
      await store().pushOutbox.markSent(row._id);
      const expired = (await store().pushOutbox.claim(10_000, now + 1000, now + 4000)).filter(mine);
      assert.deepEqual(expired.map((p) => p._id), [rows[1]!._id], 'a lease that ran out makes the row claimable again');
    });
  });
}
