import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import type { ScheduledMessageRecord, Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

/**
 * Times of this suite sit below every other suite's (fill.ts schedules far in the future), so
 * claims and nextDue see only this suite's rows; each test finishes or cancels what it made.
 */
function row(org: string, from: string, clientId: string, sendAt: number, cid = 'c1'): ScheduledMessageRecord {
  return { _id: newId(), organization_id: org, from, cid, client_id: clientId, content: { id: clientId, cid, body: `b-${clientId}`, x: { k: [1, 2] } }, send_at: sendAt, created_at: 1 };
}

/** Contract of ScheduledMessageStore. */
export function scheduledMessagesContract(store: () => Store): void {
  describe('ScheduledMessageStore', () => {
    it('stores a schedule once per (author, client id), caps pending ones per author, and lists them by time', async () => {
      const org = await freshOrg(store());
      const [a, b] = [(await makeUser(store(), org))._id, (await makeUser(store(), org))._id];
      const s = store().scheduledMessages;
      const first = await s.insert(row(org, a, 'm2', 5_000_200), 3);
      assert.equal(first.kind, 'created');
      assert.deepEqual(first.kind === 'created' && first.record.content, { id: 'm2', cid: 'c1', body: 'b-m2', x: { k: [1, 2] } });
      const again = await s.insert({ ...row(org, a, 'm2', 5_000_900), _id: newId() }, 3);
      assert.equal(again.kind, 'exists');
      assert.equal(again.kind === 'exists' && again.record.send_at, 5_000_200);
      assert.equal((await s.insert(row(org, a, 'm1', 5_000_100, 'c2'), 3)).kind, 'created');
      assert.equal((await s.insert(row(org, a, 'm3', 5_000_200), 3)).kind, 'created');
      assert.equal((await s.insert(row(org, a, 'm4', 5_000_300), 3)).kind, 'limit');
      // Another author's cap and ids are their own.
      assert.equal((await s.insert(row(org, b, 'm2', 5_000_050), 3)).kind, 'created');
      assert.deepEqual((await s.list(org, a, { limit: 10 })).map((r) => r.client_id), ['m1', 'm2', 'm3']);
      assert.deepEqual((await s.list(org, a, { limit: 10, cid: 'c1' })).map((r) => r.client_id), ['m2', 'm3']);
      assert.deepEqual((await s.list(org, a, { limit: 1, after: { sendAt: 5_000_200, id: 'm2' } })).map((r) => r.client_id), ['m3']);
      assert.deepEqual((await s.list(await freshOrg(store()), a, { limit: 10 })).map((r) => r.client_id), []);
      assert.equal((await s.byClientId(org, b, 'm2'))?.send_at, 5_000_050);
      // Cancelling frees a place under the cap; only the author's own pending row is removed.
      assert.equal(await s.cancel(org, b, 'm3', 1), false);
      assert.equal(await s.cancel(org, a, 'm3', 1), true);
      assert.equal(await s.cancel(org, a, 'm3', 1), false);
      assert.equal((await s.insert(row(org, a, 'm4', 5_000_300), 3)).kind, 'created');
      for (const [user, id] of [[a, 'm1'], [a, 'm2'], [a, 'm4'], [b, 'm2']] as const) assert.equal(await s.cancel(org, user, id, 1), true);
    });

    it('leases due rows to one claimer at a time, takes them back when the lease ends, and records the outcome', async () => {
      const org = await freshOrg(store());
      const a = (await makeUser(store(), org))._id;
      const s = store().scheduledMessages;
      for (const [id, at] of [['x1', 1000], ['x2', 1100], ['x3', 3000]] as const) await s.insert(row(org, a, id, at), 10);
      assert.equal(await s.nextDue(), 1000);
      assert.deepEqual(await s.claim(10, 999, 2000, 'n1'), []);
      const got = await s.claim(10, 1100, 1600, 'n1');
      assert.deepEqual(got.map((r) => [r.client_id, r.attempts, r.state]), [['x1', 1, 'pending'], ['x2', 1, 'pending']]);
      // Leased: no other claim gets them, the author cannot cancel them, and they are due again when the lease ends.
      assert.deepEqual(await s.claim(10, 1500, 9000, 'n2'), []);
      assert.equal(await s.cancel(org, a, 'x1', 1500), false);
      assert.equal(await s.nextDue(), 1600);
      await s.finish(got[0]?._id ?? '', { state: 'sent', serverMid: 'mid-1' }, 1550);
      const retaken = await s.claim(10, 1600, 2600, 'n2');
      assert.deepEqual(retaken.map((r) => [r.client_id, r.attempts]), [['x2', 2]]);
      await s.finish(retaken[0]?._id ?? '', { state: 'failed', error: 'Forbidden.' }, 1700);
      assert.equal(await s.nextDue(), 3000);
      const sent = await s.byClientId(org, a, 'x1');
      assert.deepEqual([sent?.state, sent?.server_mid, sent?.finished_at, sent?.claimed_by], ['sent', 'mid-1', 1550, 'n1']);
      const failed = await s.byClientId(org, a, 'x2');
      assert.deepEqual([failed?.state, failed?.error, failed?.server_mid, failed?.claimed_by, failed?.attempts], ['failed', 'Forbidden.', null, 'n2', 2]);
      // Finished rows are neither listed, cancellable nor claimed again; the sweep removes them by age.
      assert.deepEqual((await s.list(org, a, { limit: 10 })).map((r) => r.client_id), ['x3']);
      assert.equal(await s.cancel(org, a, 'x1', 5000), false);
      assert.deepEqual((await s.claim(10, 2999, 9000, 'n3')).map((r) => r.client_id), []);
      assert.equal(await s.sweep(1600, 10), 1);
      assert.equal((await s.byClientId(org, a, 'x1')), undefined);
      assert.equal(await s.sweep(1701, 10), 1);
      assert.equal(await s.cancel(org, a, 'x3', 1), true);
    });

    it('never gives one row to two concurrent claims', async () => {
      const org = await freshOrg(store());
      const a = (await makeUser(store(), org))._id;
      const s = store().scheduledMessages;
      for (let i = 0; i < 30; i++) await s.insert(row(org, a, `c${String(i).padStart(2, '0')}`, 2000 + i), 100);
      const claims = await Promise.all(Array.from({ length: 5 }, (_, k) => s.claim(4, 2100, 9000, `n${String(k)}`)));
      const ids = claims.flat().map((r) => r.client_id);
      assert.equal(new Set(ids).size, ids.length);
      const rest = await s.claim(100, 2100, 9000, 'last');
      assert.equal(ids.length + rest.length, 30);
      for (const r of [...claims.flat(), ...rest]) await s.finish(r._id, { state: 'sent', serverMid: newId() }, 2200);
      assert.equal(await s.sweep(2201, 100), 30);
    });
  });
}
