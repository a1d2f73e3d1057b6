import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import type { Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

async function group(store: Store, orgId: string, ownerId: string): Promise<string> {
  const conv = await store.conversations.create({ _id: newId(), organization_id: orgId, type: 'g', name: 'g', description: null, owner_id: ownerId, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: ownerId, role: 'owner' }]);
  return conv._id;
}

/** Contract of ConversationHandlerStore: one script per conversation, versions, failures. */
export function conversationHandlersContract(store: () => Store): void {
  describe('ConversationHandlerStore', () => {
    it('creates, replaces (keeping created_at), reads per organization and deletes', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const cid = await group(store(), org, u._id);
      assert.equal(await store().conversationHandlers.byConversation(org, cid), undefined);
      const first = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'one', updated_by: u._id }, 100);
      assert.deepEqual(first, { conversation_id: cid, organization_id: org, content: 'one', updated_by: u._id, created_at: 100, updated_at: 100, last_error: null, last_error_at: null });
      assert.deepEqual(await store().conversationHandlers.byConversation(org, cid), first);
      const second = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'two', updated_by: 'someone' }, 200);
      assert.deepEqual(second, { ...first, content: 'two', updated_by: 'someone', updated_at: 200 });
      assert.deepEqual(await store().conversationHandlers.byConversation(org, cid), second);
      assert.equal(await store().conversationHandlers.byConversation(await freshOrg(store()), cid), undefined);
      assert.equal(await store().conversationHandlers.delete(await freshOrg(store()), cid), false);
      assert.equal(await store().conversationHandlers.delete(org, cid), true);
      assert.equal(await store().conversationHandlers.delete(org, cid), false);
      assert.equal(await store().conversationHandlers.byConversation(org, cid), undefined);
    });

    it('gives a script replaced within the same millisecond a new version', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const cid = await group(store(), org, u._id);
      const a = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'a', updated_by: u._id }, 500);
      const b = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'b', updated_by: u._id }, 500);
      assert.ok(b.updated_at > a.updated_at);
    });

    it('records failures of the current version only, and a replacement clears them', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const cid = await group(store(), org, u._id);
      const v1 = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'a', updated_by: u._id }, 10);
      await store().conversationHandlers.recordError(org, cid, v1.updated_at, 'timeout', 11);
      assert.deepEqual(await store().conversationHandlers.byConversation(org, cid), { ...v1, last_error: 'timeout', last_error_at: 11 });
      const v2 = await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'b', updated_by: u._id }, 20);
      assert.equal(v2.last_error, null);
      await store().conversationHandlers.recordError(org, cid, v1.updated_at, 'late failure of the old script', 21);
      await store().conversationHandlers.recordError(await freshOrg(store()), cid, v2.updated_at, 'other organization', 21);
      assert.deepEqual(await store().conversationHandlers.byConversation(org, cid), v2);
    });

    it('goes with its conversation', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org);
      const cid = await group(store(), org, u._id);
      await store().conversationHandlers.put({ organization_id: org, conversation_id: cid, content: 'a', updated_by: u._id }, 10);
      await store().conversations.delete(org, cid);
      assert.equal(await store().conversationHandlers.byConversation(org, cid), undefined);
    });
  });
}
