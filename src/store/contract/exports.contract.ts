import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { DataExportRecord, Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

function job(orgId: string, userId: string, at: number, fields: Partial<DataExportRecord> = {}): DataExportRecord {
  return { _id: newId(), organization_id: orgId, user_id: userId, requested_by: 'user', status: 'pending', lease_until: null, size: null, error: null, created_at: at, updated_at: at, expires_at: at + 1000, ...fields };
}

/** Contract of DataExportStore: per-user reads, one claimant per job, leases, expiry. */
export function exportsContract(store: () => Store): void {
  describe('DataExportStore', () => {
    it('reads a job only for its own user and organization, newest first', async () => {
      const org = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const [first, second] = [job(org, a._id, 1), job(org, a._id, 2)];
      await store().exports.insert(first);
      await store().exports.insert(second);
      assert.deepEqual(await store().exports.byId(org, a._id, first._id), first);
      assert.equal(await store().exports.byId(org, b._id, first._id), undefined);
      assert.equal(await store().exports.byId(await freshOrg(store()), a._id, first._id), undefined);
      assert.deepEqual((await store().exports.forUser(org, a._id)).map((j) => j._id), [second._id, first._id]);
      assert.deepEqual(await store().exports.forUser(org, b._id), []);
    });

    it('hands each waiting job to one claimant, and a lapsed lease to the next, ending only under the current lease', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      // Far in the past, so these are the oldest waiting jobs of the whole store.
      const j = job(org, u._id, -10);
      await store().exports.insert(j);
      const claimed = await store().exports.claim(1000, 2000);
      assert.equal(claimed?._id, j._id);
      assert.equal(claimed?.status, 'running');
      assert.notEqual((await store().exports.claim(1500, 2500))?._id, j._id);
      const retaken = await store().exports.claim(2001, 3000);
      assert.equal(retaken?._id, j._id);
      assert.equal(await store().exports.finish(j._id, 2000, { status: 'ready', size: 5 }, 2100), false);
      assert.equal(await store().exports.finish(j._id, 3000, { status: 'ready', size: 5 }, 2200), true);
      const done = await store().exports.byId(org, u._id, j._id);
      assert.deepEqual(done && { status: done.status, size: done.size, lease: done.lease_until }, { status: 'ready', size: 5, lease: null });
      assert.equal(await store().exports.finish(j._id, 3000, { status: 'failed', error: 'late' }, 2300), false);
    });

    it('lists expired jobs and deletes them', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const old = job(org, u._id, Date.now(), { status: 'ready', expires_at: 5 });
      await store().exports.insert(old);
      assert.ok((await store().exports.expired(6, 1000)).some((j) => j._id === old._id));
      assert.ok(!(await store().exports.expired(5, 1000)).some((j) => j._id === old._id));
      await store().exports.delete([old._id]);
      assert.equal(await store().exports.byId(org, u._id, old._id), undefined);
    });

    it('pages the messages a user sent, in id order', async () => {
      const org = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const cid = (await store().conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: a._id, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: a._id, role: 'owner' }, { user_id: b._id, role: null }]))._id;
      const now = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        for (const from of [a._id, b._id]) {
          const at = now + ids.length * 1000;
          const r = await store().messages.insert({ _id: newIdAt(at), organization_id: org, cid, from, client_id: null, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: Math.ceil(at / 1000), created_at: at, updated_at: at });
          if (from === a._id) ids.push(r.record._id);
          else ids.push('');
        }
      }
      const mine = ids.filter((id) => id !== '');
      const page1 = await store().exports.sentMessages(org, a._id, null, 2);
      assert.deepEqual(page1.map((m) => m._id), mine.slice(0, 2));
      assert.deepEqual((await store().exports.sentMessages(org, a._id, page1[1]?._id ?? null, 2)).map((m) => m._id), mine.slice(2));
      assert.deepEqual(await store().exports.sentMessages(await freshOrg(store()), a._id, null, 10), []);
    });
  });
}
