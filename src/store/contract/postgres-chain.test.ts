import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestPostgres, twoPostgresNodes } from '../../../test/helpers/postgres.js';
import { idAfter, isId, newId, newIdAt } from '../../protocol/ids.js';
import { openPostgresStore } from '../postgres/index.js';
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

/**
 * What parley_append_messages (migration 14) writes besides the message when it moves a
 * message's id up the chain: the hidden markers, push outbox rows and encrypted-inbox rows must
 * name the id the message was stored under, and parley_id_after must agree with idAfter.
 */
describe('PostgreSQL batch function', { skip: skip ?? false }, () => {
  let server: TestPostgres | undefined;
  let url = '';
  before(async () => {
    server = await TestPostgres.start();
    url = await server.createDatabase();
  });
  after(async () => {
    await server?.stop();
  });

  it('parley_id_after gives the id idAfter gives, with the caller’s last six digits', async () => {
    const store = await openPostgresStore({ url, orderAcrossNodes: true });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const own = newId();
      const cases = [newId(), `65000000${'f'.repeat(10)}000001`, `65000000${'0'.repeat(10)}abcdef`, `6500000000000000ffffffff`.slice(0, 24)];
      for (const prev of cases) {
        const { rows } = await client.query<{ id: string }>('select parley_id_after($1, $2) as id', [prev, own]);
        const got = rows[0]?.id ?? '';
        assert.ok(isId(got), got);
        assert.ok(got > prev);
        assert.equal(got.slice(0, 18), idAfter(prev).slice(0, 18), `after ${prev}`);
        assert.equal(got.slice(18), own.slice(18));
      }
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('writes hidden markers, pushes and inbox rows under the id a chained message was stored under', async () => {
    const [n1, n2] = [await openPostgresStore({ url, orderAcrossNodes: true }), await openPostgresStore({ url, orderAcrossNodes: true })];
    try {
      const org = newId();
      await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
      const [owner, other] = [newId(), newId()];
      const conv = await n1.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }, { user_id: other, role: null }]);
      const now = Date.now();
      const msg = (id: string, at: number): MessageRecord => ({ _id: id, organization_id: org, cid: conv._id, from: owner, client_id: null, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: at, updated_at: at });
      const head = await n1.messages.insert(msg(newIdAt(now), now));
      // Made a minute earlier on "node 2": its id must move up past the head.
      const late = msg(newIdAt(now - 60_000), now - 60_000);
      const push = { _id: newId(), organization_id: org, user_id: other, payload: '{"message":"x"}', created_at: now };
      const stored = await n2.messages.insert(late, [other], [push], { devices: [{ user_id: other, device_id: 'd1' }], expiresAt: now + 60_000 });
      assert.notEqual(stored.record._id, late._id);
      assert.ok(stored.record._id > head.record._id);
      assert.equal(stored.prev?.id, head.record._id);
      assert.equal(await n1.messages.visibleTo(org, stored.record._id, other), undefined, 'hidden from the other user under the stored id');
      assert.ok(await n1.messages.visibleTo(org, stored.record._id, owner));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const inbox = await client.query<{ mid: string }>('select mid from encrypted_inbox where user_id = $1', [other]);
        assert.deepEqual(inbox.rows.map((r) => r.mid), [stored.record._id]);
        const outbox = await client.query<{ id: string; organization_id: string; created_at: string }>('select id, organization_id, created_at from push_outbox where user_id = $1', [other]);
        assert.deepEqual(outbox.rows.map((r) => [r.id, r.organization_id, Number(r.created_at)]), [[push._id, org, now]]);
        const conversation = await client.query<{ updated_at: string }>('select updated_at from conversations where id = $1', [conv._id]);
        assert.equal(Number(conversation.rows[0]?.updated_at), now, 'updated_at never moves backwards');
      } finally {
        await client.end();
      }
    } finally {
      await n1.close();
      await n2.close();
    }
  });
});
