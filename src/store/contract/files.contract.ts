import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { ORGANIZATION_SCOPE, type FileRecord, type Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

function file(orgId: string, userId: string, at: number, fields: Partial<FileRecord> = {}): FileRecord {
  return { _id: newId(), organization_id: orgId, user_id: userId, object_id: newId(), name: 'a.png', size: 1234, content_type: 'image/png', uploaded_at: null, created_at: at, updated_at: at, ...fields };
}

/** The object ids `visibleTo` returns, as a set (its order is not part of the contract). */
async function visible(store: Store, orgId: string, userId: string, ids: readonly string[]): Promise<Set<string>> {
  return new Set((await store.files.visibleTo(orgId, userId, ids)).map((f) => f.object_id));
}

/** Contract of FileStore: records, write-once uploads, visibility through links, cleanup query. */
export function filesContract(store: () => Store): void {
  describe('FileStore', () => {
    it('round-trips records and scopes lookups to the organization', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      const u = await makeUser(store(), org);
      const f = file(org, u._id, 1_700_000_000_000, { size: 5_000_000_000 });
      await store().files.insert([f]);
      assert.deepEqual(await store().files.byObjectIds(org, [f.object_id, newId()]), [f]);
      assert.deepEqual(await store().files.byObjectIds(other, [f.object_id]), []);
      assert.deepEqual(await store().files.byObjectId(f.object_id), f);
      assert.equal(await store().files.byObjectId(newId()), undefined);
    });

    it('marks an upload once', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const f = file(org, u._id, 10);
      await store().files.insert([f]);
      assert.equal(await store().files.markUploaded(f.object_id, 20), true);
      assert.equal(await store().files.markUploaded(f.object_id, 30), false);
      assert.equal((await store().files.byObjectId(f.object_id))?.uploaded_at, 20);
    });

    it('shows a file to its uploader, to participants of linked conversations and to the organization for avatars', async () => {
      const org = await freshOrg(store());
      const [a, b, c] = await Promise.all([makeUser(store(), org), makeUser(store(), org), makeUser(store(), org)]);
      const conv = await store().conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: a._id, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: a._id, role: 'owner' }, { user_id: b._id, role: null }]);
      const attached = file(org, a._id, 1);
      const avatar = file(org, c._id, 1);
      const own = file(org, c._id, 1);
      await store().files.insert([attached, avatar, own]);
      const ids = [attached.object_id, avatar.object_id, own.object_id];
      assert.deepEqual(await visible(store(), org, b._id, ids), new Set());
      await store().files.link(org, [attached.object_id], conv._id, 2);
      await store().files.link(org, [attached.object_id], conv._id, 3); // idempotent
      await store().files.link(org, [avatar.object_id], ORGANIZATION_SCOPE, 2);
      assert.deepEqual(await visible(store(), org, a._id, ids), new Set([attached.object_id, avatar.object_id]));
      assert.deepEqual(await visible(store(), org, b._id, ids), new Set([attached.object_id, avatar.object_id]));
      assert.deepEqual(await visible(store(), org, c._id, ids), new Set([avatar.object_id, own.object_id]));
      // whole records, not just ids
      assert.deepEqual(await store().files.visibleTo(org, c._id, [own.object_id]), [own]);
      // another organization sees nothing, not even with the same user id
      assert.deepEqual(await visible(store(), await freshOrg(store()), c._id, ids), new Set());
    });

    it('lists files never linked and deletes them with their links', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const base = 2_000_000_000_000 + Math.floor(Math.random() * 1e9);
      const old = file(org, u._id, base);
      const linked = file(org, u._id, base + 1);
      const fresh = file(org, u._id, base + 100);
      await store().files.insert([old, linked, fresh]);
      await store().files.link(org, [linked.object_id], ORGANIZATION_SCOPE, base);
      const due = (await store().files.unlinked(base + 50, 1000)).map((f) => f.object_id);
      assert.ok(due.includes(old.object_id));
      assert.ok(!due.includes(linked.object_id));
      assert.ok(!due.includes(fresh.object_id));
      await store().files.delete([old.object_id, linked.object_id]);
      assert.deepEqual(await store().files.byObjectIds(org, [old.object_id, linked.object_id, fresh.object_id]), [fresh]);
      assert.deepEqual(await visible(store(), org, newId(), [linked.object_id]), new Set());
    });
  });
}
