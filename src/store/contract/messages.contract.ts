import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { MessageRecord, Store } from '../store.js';
import { freshOrg } from './harness.js';

/** Contract of MessageStore. */
export function messagesContract(store: () => Store): void {
  async function setup(): Promise<{ org: string; cid: string; a: string; b: string; msg: (fields?: Partial<MessageRecord>) => MessageRecord }> {
    const org = await freshOrg(store());
    const [a, b] = [newId(), newId()];
    const conv = await store().conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: a, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
    let clock = 1000;
    const msg = (fields: Partial<MessageRecord> = {}): MessageRecord => {
      clock += 1;
      return { _id: newIdAt(clock), organization_id: org, cid: conv._id, from: a, client_id: null, body: `m${clock}`, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: clock, updated_at: clock, ...fields };
    };
    return { org, cid: conv._id, a, b, msg };
  }

  describe('MessageStore', () => {
    it('round-trips documents and commits concurrent inserts together, idempotent per client id', async () => {
      const { org, cid, a, msg } = await setup();
      const full = msg({ client_id: 'c1', attachments: [{ file_id: 'f', extra: 1 }], x: { k: [1, 2] }, replied_message_id: newId(), forwarded_message_id: 'fw', encrypted_message_type: 1 });
      const results = await Promise.all([store().messages.insert(full), store().messages.insert(msg({ client_id: 'c2' })), store().messages.insert(msg({ client_id: 'c1', body: 'retry' })), store().messages.insert(msg())]);
      assert.deepEqual(results.map((r) => r.duplicate), [false, false, true, false]);
      assert.deepEqual(results[2]?.record, full);
      assert.deepEqual(await store().messages.byId(org, full._id), full);
      assert.equal((await store().messages.list(org, cid, a, { limit: 10 })).length, 3);
      assert.equal((await store().conversations.byId(org, cid))?.updated_at, Math.max(...results.filter((r) => !r.duplicate).map((r) => r.record.created_at)));
      // another sender may use the same client id
      assert.equal((await store().messages.insert(msg({ client_id: 'c1', from: newId() }))).duplicate, false);
    });

    it('moves each conversation of one batch to its own newest message, never backwards', async () => {
      const { org, cid, a, msg } = await setup();
      const other = await store().conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'h', description: null, owner_id: a, opponent_id: null, image_object: null, is_encrypted: false, created_at: 9_000 }, [{ user_id: a, role: 'owner' }]);
      const untouched = await store().conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'u', description: null, owner_id: a, opponent_id: null, image_object: null, is_encrypted: false, created_at: 7 }, [{ user_id: a, role: 'owner' }]);
      // Submitted in one turn, so they share a group commit.
      await Promise.all([
        store().messages.insert(msg({ created_at: 2_000 })),
        store().messages.insert(msg({ created_at: 3_000 })),
        store().messages.insert(msg({ created_at: 2_500 })),
        store().messages.insert(msg({ cid: other._id, created_at: 8_000 })),
      ]);
      assert.equal((await store().conversations.byId(org, cid))?.updated_at, 3_000);
      assert.equal((await store().conversations.byId(org, other._id))?.updated_at, 9_000);
      assert.equal((await store().conversations.byId(org, untouched._id))?.updated_at, 7);
    });

    it('lists messages updated after a time: new ones and old ones edited since, oldest created first', async () => {
      const { org, cid, a, msg } = await setup();
      const at = (ms: number, fields: Partial<MessageRecord> = {}): MessageRecord => msg({ _id: newIdAt(ms), created_at: ms, updated_at: ms, ...fields });
      const old = [at(100_000), at(100_500), at(101_000)];
      const fresh = [at(500_000), at(500_001), at(500_002)];
      for (const m of [...old, ...fresh]) await store().messages.insert(m);
      await store().messages.editBody(org, (old[1] as MessageRecord)._id, 'edited', 400_000);
      const ids = async (limit: number): Promise<string[]> => (await store().messages.list(org, cid, a, { limit, updatedAfter: 300_000 })).map((m) => m._id);
      assert.deepEqual(await ids(10), [old[1], ...fresh].map((m) => m?._id));
      assert.deepEqual(await ids(2), [old[1], fresh[0]].map((m) => m?._id));
      // A message created just after the bound, with an id a little older than its created_at.
      const skewed = msg({ _id: newIdAt(299_500), created_at: 300_100, updated_at: 300_100 });
      await store().messages.insert(skewed);
      assert.deepEqual(await ids(2), [old[1]?._id, skewed._id]);
      await store().messages.editBody(org, (old[0] as MessageRecord)._id, 'edited', 300_000);
      assert.equal((await ids(10)).length, 5, 'an edit at the bound itself is not after it');
    });

    it('queues pushes with a new message only, durably, and hands them out until sent', async () => {
      const { org, msg } = await setup();
      const recipient = newId();
      const push = (id: string) => [{ _id: newId(), organization_id: org, user_id: recipient, payload: `{"n":"${id}"}`, created_at: 1 }];
      const m = msg({ client_id: 'p1' });
      await store().messages.insert(m, [], push('first'));
      await store().messages.insert({ ...m, _id: newId() }, [], push('retry'));
      const mine = (await store().pushOutbox.pending(10_000, 10)).filter((p) => p.user_id === recipient);
      assert.deepEqual(mine.map((p) => p.payload), ['{"n":"first"}']);
      const row = mine[0]!;
      assert.equal(row.attempts, 0);
      await store().pushOutbox.markFailed(row._id, 100);
      assert.equal((await store().pushOutbox.pending(10_000, 50)).some((p) => p._id === row._id), false);
      const due = (await store().pushOutbox.pending(10_000, 100)).find((p) => p._id === row._id);
      assert.equal(due?.attempts, 0, 'only claims count tries');
      assert.ok((await store().pushOutbox.count()) >= 1);
      await store().pushOutbox.markSent(row._id);
      assert.equal((await store().pushOutbox.pending(10_000, 1000)).some((p) => p._id === row._id), false);
    });

    it('hides per user, from the start or later, and lists newest first or by update window', async () => {
      const { org, cid, a, b, msg } = await setup();
      const m1 = (await store().messages.insert(msg())).record;
      const m2 = (await store().messages.insert(msg(), [b])).record;
      const m3 = (await store().messages.insert(msg({ from: b }))).record;
      assert.deepEqual((await store().messages.list(org, cid, b, { limit: 10 })).map((m) => m._id), [m3._id, m1._id]);
      assert.deepEqual((await store().messages.list(org, cid, a, { limit: 2 })).map((m) => m._id), [m3._id, m2._id]);
      assert.deepEqual((await store().messages.list(org, cid, a, { limit: 10, updatedAfter: m1.updated_at })).map((m) => m._id), [m2._id, m3._id]);
      assert.deepEqual((await store().messages.list(org, cid, a, { limit: 10, updatedBefore: m3.updated_at })).map((m) => m._id), [m2._id, m1._id]);
      assert.deepEqual((await store().messages.list(org, cid, a, { limit: 10, ids: [m1._id, newId()] })).map((m) => m._id), [m1._id]);
      assert.equal(await store().messages.visibleTo(org, m2._id, b), undefined);
      assert.deepEqual(await store().messages.hideFor(org, cid, [m1._id, newId()], a), [m1._id]);
      assert.deepEqual((await store().messages.list(org, cid, a, { limit: 10 })).map((m) => m._id), [m3._id, m2._id]);
      assert.equal((await store().messages.lastVisible(org, [cid], b)).get(cid)?._id, m3._id);
      assert.equal((await store().messages.lastVisible(org, [cid], a)).get(cid)?._id, m3._id);
    });

    it('counts unread from others, edits, and deletes only within the conversation and organization', async () => {
      const { org, cid, a, b, msg } = await setup();
      const m1 = (await store().messages.insert(msg())).record;
      const m2 = (await store().messages.insert(msg())).record;
      await store().messages.insert(msg({ from: b }));
      assert.equal(await store().messages.countUnread(org, cid, b, null), 2);
      assert.equal(await store().messages.countUnread(org, cid, b, m1._id), 1);
      assert.equal(await store().messages.countUnread(org, cid, a, null), 1);
      const edited = await store().messages.editBody(org, m1._id, 'new body', 5_000);
      assert.equal(edited?.body, 'new body');
      assert.equal(edited?.updated_at, 5_000);
      const other = await freshOrg(store());
      assert.equal(await store().messages.editBody(other, m1._id, 'x', 6_000), undefined);
      assert.deepEqual(await store().messages.deleteForAll(other, cid, [m1._id]), []);
      assert.deepEqual(await store().messages.deleteForAll(org, newId(), [m1._id]), []);
      assert.deepEqual((await store().messages.deleteForAll(org, cid, [m1._id, m2._id, newId()])).sort(), [m1._id, m2._id].sort());
      assert.equal(await store().messages.byId(org, m1._id), undefined);
    });

    it('reads a range of a conversation by id, oldest first, whoever a message is hidden for', async () => {
      const { org, cid, b, msg } = await setup();
      const stored: string[] = [];
      for (let i = 0; i < 5; i++) stored.push((await store().messages.insert(msg(), i === 2 ? [b] : [])).record._id);
      const ids = async (after: string | null, before: string | null, limit = 10): Promise<string[]> => (await store().messages.range(org, cid, after, before, limit)).map((m) => m._id);
      assert.deepEqual(await ids(null, null), stored);
      assert.deepEqual(await ids(stored[0]!, stored[4]!), stored.slice(1, 4));
      assert.deepEqual(await ids(stored[1]!, null, 2), stored.slice(2, 4));
      assert.deepEqual(await store().messages.range(newId(), cid, null, null, 10), []);
    });
  });
}
