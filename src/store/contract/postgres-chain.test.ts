import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestPostgres, twoPostgresNodes } from '../../../test/helpers/postgres.js';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { MessageInsert, MessageRecord } from '../store.js';

const skip = TestPostgres.unavailable();
if (skip) console.log(`# skipping PostgreSQL message chain test: ${skip}`);

/**
 * Two stores on one database stand for two nodes of a cluster (orderAcrossNodes): concurrent
 * inserts into one conversation, with ids made out of order on purpose (one node's clock behind),
 * come out with ids in commit order, each naming the one before it.
 */
describe('PostgreSQL message chain across nodes', { skip: skip ?? false }, () => {
  const nodes = twoPostgresNodes();

  it('orders concurrent inserts of two nodes into one chain whose ids follow commit order', async () => {
    const [n1, n2] = nodes();
    const org = newId();
    await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
    const owner = newId();
    const conv = await n1.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }]);
    const now = Date.now();
    const msg = (id: string, at: number, clientId: string | null = null): MessageRecord => ({ _id: id, organization_id: org, cid: conv._id, from: owner, client_id: clientId, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: at, updated_at: at });
    // Node 1 stores first; everything node 2 (a minute behind) stores after it must move up.
    const opener = await n1.messages.insert(msg(newIdAt(now - 1), now - 1));
    const inserts: Promise<MessageInsert>[] = [Promise.resolve(opener)];
    for (let i = 0; i < 40; i++) {
      // Node 2's clock is a minute behind: its ids sort below node 1's.
      inserts.push(n1.messages.insert(msg(newIdAt(now + i), now + i)));
      inserts.push(n2.messages.insert(msg(newIdAt(now - 60_000 + i), now - 60_000 + i)));
    }
    // A retry of a stored client id is a duplicate and takes no place in the chain.
    const first = await n1.messages.insert(msg(newId(), now, 'retry-me'));
    const again = await n2.messages.insert(msg(newId(), now, 'retry-me'));
    assert.equal(again.duplicate, true);
    assert.equal(again.record._id, first.record._id);
    const results = [...(await Promise.all(inserts)), first];
    const byId = [...results].sort((a, b) => (a.record._id < b.record._id ? -1 : 1));
    for (const [i, r] of byId.entries()) {
      assert.equal(r.duplicate, false);
      assert.equal(r.prev?.id ?? null, byId[i - 1]?.record._id ?? null, `message ${String(i)} names the one before it`);
    }
    const stored = (await n1.messages.range(org, conv._id, null, null, 100)).map((m) => m._id);
    assert.deepEqual(stored, byId.map((r) => r.record._id));
    // Node 2's ids all had to move up to follow node 1's (their embedded time is no longer its own).
    const fromNode2 = results.filter((r) => r.record.created_at < now - 1_000);
    assert.equal(fromNode2.length, 40);
    for (const r of fromNode2) assert.ok(r.record._id > opener.record._id);
  });
});
