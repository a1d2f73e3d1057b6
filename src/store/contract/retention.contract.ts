import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { MessageRecord, Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

async function group(store: Store, orgId: string, ownerId: string, memberId: string): Promise<string> {
  const conv = await store.conversations.create({ _id: newId(), organization_id: orgId, type: 'g', name: 'g', description: null, owner_id: ownerId, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: ownerId, role: 'owner' }, { user_id: memberId, role: null }]);
  return conv._id;
}

function message(orgId: string, cid: string, from: string, at: number, fileIds: readonly string[] = []): MessageRecord {
  return {
    _id: newIdAt(at),
    organization_id: orgId,
    cid,
    from,
    client_id: null,
    body: `at ${String(at)}`,
    attachments: fileIds.length === 0 ? null : fileIds.map((file_id) => ({ file_id, file_name: 'f.txt' })),
    x: null,
    replied_message_id: null,
    forwarded_message_id: null,
    encrypted_message_type: null,
    t: Math.ceil(at / 1000),
    created_at: at,
    updated_at: at,
  };
}

/** Contract of RetentionStore, and of MessageStore.list's retention cut-off. */
export function retentionContract(store: () => Store): void {
  describe('RetentionStore', () => {
    it('sets, replaces and clears periods per organization and conversation, never across organizations', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      const cid = newId();
      const periods = async (orgId: string, cids: readonly string[] = [cid]): Promise<unknown> => {
        const p = await store().retention.periods(orgId, cids);
        return { organization: p.organization, conversations: Object.fromEntries(p.conversations) };
      };
      assert.deepEqual(await periods(org), { organization: null, conversations: {} });
      await store().retention.set(org, '*', 3600, 1);
      await store().retention.set(org, cid, 60, 1);
      await store().retention.set(org, cid, 120, 2);
      assert.deepEqual(await periods(org), { organization: 3600, conversations: { [cid]: 120 } });
      assert.deepEqual(await periods(org, []), { organization: 3600, conversations: {} });
      assert.deepEqual(await periods(org, [newId(), cid, cid]), { organization: 3600, conversations: { [cid]: 120 } });
      assert.deepEqual(await periods(other), { organization: null, conversations: {} });
      await store().retention.set(other, cid, null, 3);
      assert.deepEqual(await periods(org), { organization: 3600, conversations: { [cid]: 120 } });
      await store().retention.set(org, cid, null, 3);
      await store().retention.set(org, cid, null, 3);
      assert.deepEqual(await periods(org), { organization: 3600, conversations: {} });
    });

    it('deletes a conversation period with the conversation', async () => {
      const org = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const cid = await group(store(), org, a._id, b._id);
      await store().retention.set(org, cid, 60, 1);
      await store().conversations.delete(org, cid);
      assert.equal((await store().retention.periods(org, [cid])).conversations.size, 0);
    });

    it('sweeps messages past the effective period in bounded batches, with their statuses and reactions, once each', async () => {
      const org = await freshOrg(store());
      const untouched = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const [short, byDefault, long] = [await group(store(), org, a._id, b._id), await group(store(), org, a._id, b._id), await group(store(), org, a._id, b._id)];
      const now = Date.now();
      const hour = 3_600_000;
      await store().retention.set(org, '*', 3600, now);
      await store().retention.set(org, short, 60, now);
      await store().retention.set(org, long, 86_400 * 10, now);
      const ids = async (cid: string, ages: readonly number[], orgId = org): Promise<string[]> => {
        const out: string[] = [];
        for (const age of ages) out.push((await store().messages.insert(message(orgId, cid, a._id, now - age))).record._id);
        return out;
      };
      const [shortOld, shortMid, shortNew] = await ids(short, [2 * hour, hour / 2, 1000]);
      const [defOld, defMid] = await ids(byDefault, [2 * hour, hour / 2]);
      const longIds = await ids(long, [2 * hour, 5 * hour]);
      const elsewhere = await ids(byDefault, [5 * hour], untouched);
      await store().statuses.record(short, [shortOld ?? ''], b._id, 'read', now);
      await store().reactions.add(shortOld ?? '', short, b._id, 'ok', now);

      const first = await store().retention.sweepMessages(now, 2);
      assert.equal(first.length, 2);
      const rest = await store().retention.sweepMessages(now, 100);
      const swept = [...first, ...rest];
      assert.deepEqual(swept.map((m) => m.id).sort(), [shortOld, shortMid, defOld].sort());
      assert.deepEqual(await store().retention.sweepMessages(now, 100), []);
      const one = swept.find((m) => m.id === shortOld);
      assert.deepEqual(one && { org: one.organization_id, cid: one.cid, from: one.from, files: one.fileIds }, { org, cid: short, from: a._id, files: [] });
      const left = async (cid: string, orgId = org): Promise<string[]> => (await store().messages.list(orgId, cid, b._id, { limit: 10 })).map((m) => m._id).sort();
      assert.deepEqual(await left(short), [shortNew]);
      assert.deepEqual(await left(byDefault), [defMid]);
      assert.deepEqual(await left(long), [...longIds].sort());
      assert.deepEqual(await left(byDefault, untouched), elsewhere);
      assert.equal((await store().statuses.withAnyStatus([shortOld ?? ''])).size, 0);
      assert.equal((await store().reactions.summaries([shortOld ?? ''], b._id)).size, 0);
    });

    it('releases files no remaining message names, and reports those linked nowhere', async () => {
      const org = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const cid = await group(store(), org, a._id, b._id);
      const now = Date.now();
      const file = (): { _id: string; organization_id: string; user_id: string; object_id: string; name: string; size: number; content_type: string; uploaded_at: null; created_at: number; updated_at: number } => ({ _id: newId(), organization_id: org, user_id: a._id, object_id: newId(), name: 'f.txt', size: 1, content_type: 'text/plain', uploaded_at: null, created_at: now, updated_at: now });
      const [gone, stillNamed, avatar] = [file(), file(), file()];
      await store().files.insert([gone, stillNamed, avatar]);
      await store().files.link(org, [gone.object_id, stillNamed.object_id, avatar.object_id], cid, now);
      await store().files.link(org, [avatar.object_id], '*', now);
      await store().retention.set(org, cid, 60, now);
      await store().messages.insert(message(org, cid, a._id, now - 3_600_000, [gone.object_id, stillNamed.object_id, avatar.object_id]));
      await store().messages.insert(message(org, cid, a._id, now, [stillNamed.object_id]));
      const [swept] = await store().retention.sweepMessages(now, 10);
      assert.deepEqual(swept?.fileIds, [gone.object_id, stillNamed.object_id, avatar.object_id]);
      assert.deepEqual(await store().retention.releaseFiles(await freshOrg(store()), cid, swept.fileIds), []);
      assert.deepEqual(await store().retention.releaseFiles(org, cid, swept.fileIds), [gone.object_id]);
      // b sees the file still named in the conversation and the avatar, no longer the released one.
      assert.deepEqual((await store().files.visibleTo(org, b._id, [gone.object_id, stillNamed.object_id, avatar.object_id])).map((f) => f.object_id).sort(), [stillNamed.object_id, avatar.object_id].sort());
    });

    it('lists only messages created at or after a cut-off', async () => {
      const org = await freshOrg(store());
      const [a, b] = [await makeUser(store(), org), await makeUser(store(), org)];
      const cid = await group(store(), org, a._id, b._id);
      const now = Date.now();
      const old = (await store().messages.insert(message(org, cid, a._id, now - 10_000))).record._id;
      const fresh = (await store().messages.insert(message(org, cid, a._id, now - 1000))).record._id;
      const list = async (q: Parameters<Store['messages']['list']>[3]): Promise<string[]> => (await store().messages.list(org, cid, b._id, q)).map((m) => m._id);
      assert.deepEqual(await list({ limit: 10, createdFrom: now - 5000 }), [fresh]);
      assert.deepEqual(await list({ limit: 10, createdFrom: now - 5000, ids: [old, fresh] }), [fresh]);
      assert.deepEqual(await list({ limit: 10, createdFrom: now - 5000, updatedAfter: 0 }), [fresh]);
      assert.deepEqual(await list({ limit: 10, createdFrom: now - 5000, updatedBefore: now + 1000 }), [fresh]);
      assert.deepEqual(await list({ limit: 10 }), [fresh, old]);
    });
  });
}
