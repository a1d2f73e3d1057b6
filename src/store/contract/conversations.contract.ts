import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { ConflictError, LimitError, type ConversationRecord, type Store } from '../store.js';
import { freshOrg } from './harness.js';

function group(org: string, owner: string, at = Date.now()): Omit<ConversationRecord, 'participants_count' | 'updated_at'> {
  return { _id: newId(), organization_id: org, type: 'g', name: `group ${at}`, description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: at };
}

/** Contract of ConversationStore, ParticipantStore and OpLogStore. */
export function conversationsContract(store: () => Store): void {
  describe('ConversationStore', () => {
    it('creates with participants and keeps private pairs unique per flag, either direction', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const u = { _id: newId(), organization_id: org, type: 'u' as const, name: null, description: null, owner_id: a, opponent_id: b, image_object: null, is_encrypted: false, created_at: 10 };
      const c = await store().conversations.create(u, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
      assert.equal(c.participants_count, 2);
      assert.equal(c.updated_at, 10);
      assert.equal((await store().conversations.privateBetween(org, b, a, false))?._id, c._id);
      assert.equal(await store().conversations.privateBetween(org, b, a, true), undefined);
      await assert.rejects(store().conversations.create({ ...u, _id: newId(), owner_id: b, opponent_id: a }, []), ConflictError);
      const enc = await store().conversations.create({ ...u, _id: newId(), is_encrypted: true }, []);
      assert.equal(enc.is_encrypted, true);
      const other = await freshOrg(store());
      assert.equal(await store().conversations.byId(other, c._id), undefined);
    });

    it('updates fields, touches forward only, lists by membership newest id first with filters', async () => {
      const org = await freshOrg(store());
      const me = newId();
      const c1 = await store().conversations.create(group(org, me, 100), [{ user_id: me, role: 'owner' }]);
      const c2 = await store().conversations.create(group(org, me, 200), [{ user_id: me, role: 'owner' }]);
      await store().conversations.create(group(org, newId(), 300), []);
      const up = await store().conversations.update(org, c1._id, { name: 'renamed', image_object: { file_id: 'f' } }, 150);
      assert.equal(up?.name, 'renamed');
      assert.deepEqual(up?.image_object, { file_id: 'f' });
      await store().conversations.touch(org, c1._id, 140);
      assert.equal((await store().conversations.byId(org, c1._id))?.updated_at, 150);
      await store().conversations.touch(org, c1._id, 500);
      assert.equal((await store().conversations.byId(org, c1._id))?.updated_at, 500);
      assert.deepEqual((await store().conversations.listForUser(org, me, { limit: 10 })).map((c) => c._id), [c2._id, c1._id]);
      assert.deepEqual((await store().conversations.listForUser(org, me, { limit: 1 })).map((c) => c._id), [c2._id]);
      assert.deepEqual((await store().conversations.listForUser(org, me, { limit: 10, updatedAfter: 300 })).map((c) => c._id), [c1._id]);
      assert.deepEqual((await store().conversations.listForUser(org, me, { limit: 10, updatedBefore: 300 })).map((c) => c._id), [c2._id]);
      assert.deepEqual((await store().conversations.listForUser(org, me, { limit: 10, ids: [c1._id, newId()] })).map((c) => c._id), [c1._id]);
    });

    it('sendView answers what byId, the participant list, the handler and the block check answer', async () => {
      const org = await freshOrg(store());
      const [a, b, c] = [newId(), newId(), newId()];
      const g = await store().conversations.create(group(org, a, 100), [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
      await store().participants.add(org, g._id, [{ user_id: c, role: null }], 120);
      await store().conversationHandlers.put({ organization_id: org, conversation_id: g._id, content: 'script', updated_by: a }, 130);
      const view = await store().conversations.sendView(org, g._id, b);
      assert.ok(view);
      // A version is the store's own count (PostgreSQL's view_version); stores without one omit it.
      const { version, ...answers } = view;
      assert.ok(version === undefined || Number.isSafeInteger(version), `version ${String(version)}`);
      assert.deepEqual(answers, {
        conversation: await store().conversations.byId(org, g._id),
        participants: await store().participants.list(g._id),
        handler: await store().conversationHandlers.byConversation(org, g._id),
        blocked: false,
      });
      assert.deepEqual(view.participants.map((p) => p.user_id), [a, b, c]);
      // A private conversation: blocked either way, only between its two sides, and only while
      // the block is enabled.
      const u = await store().conversations.create({ _id: newId(), organization_id: org, type: 'u', name: null, description: null, owner_id: a, opponent_id: b, image_object: null, is_encrypted: false, created_at: 140 }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
      const plain = await store().conversations.sendView(org, u._id, a);
      assert.equal(plain?.blocked, false);
      assert.equal(plain?.handler, undefined);
      await store().blocks.block(org, b, [a], 150);
      assert.equal((await store().conversations.sendView(org, u._id, a))?.blocked, true);
      assert.equal((await store().conversations.sendView(org, u._id, b))?.blocked, true);
      assert.equal((await store().conversations.sendView(org, g._id, a))?.blocked, false, 'groups are not affected');
      await store().blocks.setEnabled(org, b, false);
      assert.equal((await store().conversations.sendView(org, u._id, a))?.blocked, false);
      await store().blocks.setEnabled(org, b, true);
      await store().blocks.unblock(org, b, [a]);
      assert.equal((await store().conversations.sendView(org, u._id, b))?.blocked, false);
      // Another organization's id is "not found", as byId says.
      assert.equal(await store().conversations.sendView(await freshOrg(store()), g._id, a), undefined);
      assert.equal(await store().conversations.sendView(org, newId(), a), undefined);
    });

    it('searches names case-insensitively and literally, newest updated first', async () => {
      const org = await freshOrg(store());
      const a = await store().conversations.create({ ...group(org, newId(), 1), name: 'Project_Alpha' }, []);
      const b = await store().conversations.create({ ...group(org, newId(), 2), name: 'project beta' }, []);
      await store().conversations.create({ ...group(org, newId(), 3), name: 'projectXalpha' }, []);
      assert.deepEqual(await store().conversations.searchByName(org, { name: 'PROJECT', limit: 2 }), (await store().conversations.searchByName(org, { name: 'project', limit: 2 })));
      assert.deepEqual(await store().conversations.searchByName(org, { name: 't_a', limit: 10 }), [a._id]);
      assert.deepEqual(await store().conversations.searchByName(org, { name: 'beta', limit: 10, updatedAfter: 1 }), [b._id]);
    });

    it('limits a search to channels and the viewer\'s conversations', async () => {
      const org = await freshOrg(store());
      const [me, other] = [newId(), newId()];
      const mine = await store().conversations.create({ ...group(org, me, 1), name: 'team mine' }, [{ user_id: me, role: 'owner' }]);
      await store().conversations.create({ ...group(org, other, 2), name: 'team hidden' }, [{ user_id: other, role: 'owner' }]);
      const channel = await store().conversations.create({ ...group(org, other, 3), type: 'c', name: 'team channel' }, [{ user_id: other, role: 'owner' }]);
      assert.deepEqual(await store().conversations.searchByName(org, { name: 'team', limit: 10, visibleTo: me }), [channel._id, mine._id]);
      assert.deepEqual(await store().conversations.searchByName(org, { name: 'team', limit: 1, visibleTo: me }), [channel._id]);
      assert.equal((await store().conversations.searchByName(org, { name: 'team', limit: 10 })).length, 3);
    });

    it('deletes a conversation with its participants and messages', async () => {
      const org = await freshOrg(store());
      const me = newId();
      const c = await store().conversations.create(group(org, me), [{ user_id: me, role: 'owner' }]);
      await store().messages.insert({ _id: newId(), organization_id: org, cid: c._id, from: me, client_id: null, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: 1, updated_at: 1 });
      await store().conversations.delete(org, c._id);
      assert.equal(await store().conversations.byId(org, c._id), undefined);
      assert.deepEqual(await store().participants.list(c._id), []);
      assert.deepEqual(await store().messages.list(org, c._id, me, { limit: 10 }), []);
    });
  });

  describe('ParticipantStore', () => {
    it('adds only new users, enforces the cap atomically, removes, and keeps the count exact', async () => {
      const org = await freshOrg(store());
      const [a, b, c, d] = [newId(), newId(), newId(), newId()];
      const conv = await store().conversations.create(group(org, a, 1), [{ user_id: a, role: 'owner' }]);
      assert.deepEqual(await store().participants.add(org, conv._id, [{ user_id: a, role: null }, { user_id: b, role: null }], 5, 3), [b]);
      await assert.rejects(store().participants.add(org, conv._id, [{ user_id: c, role: null }, { user_id: d, role: null }], 6, 3), LimitError);
      assert.equal((await store().conversations.byId(org, conv._id))?.participants_count, 2);
      const results = await Promise.allSettled([c, d].map((u) => store().participants.add(org, conv._id, [{ user_id: u, role: null }], 7, 3)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'two concurrent adds cannot both pass a cap of 3');
      assert.equal((await store().conversations.byId(org, conv._id))?.participants_count, 3);
      assert.deepEqual((await store().participants.list(conv._id)).map((p) => p.user_id).slice(0, 2), [a, b]);
      assert.equal((await store().participants.get(conv._id, a))?.role, 'owner');
      await store().participants.setRole(conv._id, [b], 'admin', 8);
      assert.equal((await store().participants.get(conv._id, b))?.role, 'admin');
      assert.deepEqual(await store().participants.remove(org, conv._id, [b, newId()]), [b]);
      assert.equal((await store().conversations.byId(org, conv._id))?.participants_count, 2);
      const other = await freshOrg(store());
      assert.deepEqual(await store().participants.remove(other, conv._id, [a]), []);
      assert.deepEqual(await store().participants.add(other, conv._id, [{ user_id: b, role: null }], 9), []);
      assert.deepEqual((await store().participants.forConversations(other, [conv._id])), []);
      assert.equal((await store().participants.forConversations(org, [conv._id])).length, 2);
    });

    it('moves the read marker forward only', async () => {
      const org = await freshOrg(store());
      const a = newId();
      const conv = await store().conversations.create(group(org, a), [{ user_id: a, role: 'owner' }]);
      const [m1, m2] = [newId(), newId()];
      await store().participants.markRead(conv._id, a, m2);
      await store().participants.markRead(conv._id, a, m1);
      assert.equal((await store().participants.get(conv._id, a))?.last_read_message_id, m2);
    });
  });

  describe('OpLogStore', () => {
    it('lists a user\'s live rows by time window, oldest first, and sweeps expired ones', async () => {
      const org = await freshOrg(store());
      const u = newId();
      const rows = [10, 20, 30, 40].map((t) => ({ _id: newId(), organization_id: org, user_id: u, packet: `{"n":${t}}`, created_at: t, expires_at: t === 10 ? 50 : 10_000 }));
      await store().opLog.append(rows);
      await store().opLog.append([{ _id: newId(), organization_id: org, user_id: newId(), packet: '{}', created_at: 25, expires_at: 10_000 }]);
      assert.deepEqual((await store().opLog.list(org, u, { gt: 15, limit: 10 }, 60)).map((r) => r.created_at), [20, 30, 40]);
      assert.deepEqual((await store().opLog.list(org, u, { gt: 15, limit: 2 }, 60)).map((r) => r.created_at), [20, 30]);
      assert.deepEqual((await store().opLog.list(org, u, { lt: 40, limit: 2 }, 60)).map((r) => r.created_at), [20, 30]);
      assert.deepEqual((await store().opLog.list(org, u, { gt: 0, limit: 10 }, 5)).map((r) => r.created_at), [10, 20, 30, 40]);
      assert.deepEqual(await store().opLog.list(await freshOrg(store()), u, { gt: 0, limit: 10 }, 5), []);
      assert.ok((await store().opLog.sweep(60)) >= 1);
      assert.deepEqual((await store().opLog.list(org, u, { gt: 0, limit: 10 }, 5)).map((r) => r.created_at), [20, 30, 40]);
    });
  });
}
