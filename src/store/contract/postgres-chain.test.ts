import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestPostgres, twoPostgresNodes } from '../../../test/helpers/postgres.js';
import { idAfter, isId, newId, newIdAt } from '../../protocol/ids.js';
import { openPostgresStore } from '../postgres/index.js';
import type { InsertGuard, MessageInsert, MessageRecord, Store } from '../store.js';

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

/**
 * Versioned send views (migration 19): a cluster node checks a message against a cached view,
 * and the insert refuses it when the conversation changed since, so the message is checked again
 * on a fresh read — before the conversation's later messages, which keeps their order.
 */
describe('PostgreSQL versioned send views', { skip: skip ?? false }, () => {
  const nodes = twoPostgresNodes();

  const group = async (store: Store, org: string, owner: string, others: string[]) =>
    store.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }, ...others.map((u) => ({ user_id: u, role: null }))]);
  const message = (org: string, cid: string, from: string, body: string): MessageRecord => {
    const now = Date.now();
    return { _id: newId(), organization_id: org, cid, from, client_id: null, body, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: now, updated_at: now };
  };

  it('bumps view_version on every change a send view holds, and not on read marks, handler errors or new messages', async () => {
    const [n1] = nodes();
    const org = newId();
    await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
    const [a, b, c] = [newId(), newId(), newId()];
    const g = await group(n1, org, a, [b]);
    const u = await n1.conversations.create({ _id: newId(), organization_id: org, type: 'u', name: null, description: null, owner_id: a, opponent_id: b, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
    const version = async (cid: string): Promise<number> => {
      const v = (await n1.conversations.sendView(org, cid, a))?.version;
      assert.equal(typeof v, 'number');
      return v as number;
    };
    const changes: [string, string, () => Promise<unknown>][] = [
      ['a participant added', g._id, () => n1.participants.add(org, g._id, [{ user_id: c, role: null }], 2)],
      ['a role changed', g._id, () => n1.participants.setRole(g._id, [c], 'admin', 3)],
      ['a participant removed', g._id, () => n1.participants.remove(org, g._id, [c])],
      ['the conversation renamed', g._id, () => n1.conversations.update(org, g._id, { name: 'renamed' }, 4)],
      ['a handler set', g._id, () => n1.conversationHandlers.put({ organization_id: org, conversation_id: g._id, content: 'return message;', updated_by: a }, 5)],
      ['the handler replaced', g._id, () => n1.conversationHandlers.put({ organization_id: org, conversation_id: g._id, content: 'return null;', updated_by: a }, 6)],
      ['the handler removed', g._id, () => n1.conversationHandlers.delete(org, g._id)],
      ['one side blocks the other', u._id, () => n1.blocks.block(org, b, [a], 7)],
      ['the blocker disables blocking', u._id, () => n1.blocks.setEnabled(org, b, false)],
      ['the block lifted', u._id, () => n1.blocks.unblock(org, b, [a])],
    ];
    for (const [what, cid, change] of changes) {
      const before = await version(cid);
      await change();
      assert.ok((await version(cid)) > before, `${what} moves the version`);
    }
    const m = await n1.messages.insert(message(org, g._id, a, 'hi'));
    await n1.conversationHandlers.put({ organization_id: org, conversation_id: g._id, content: 'return message;', updated_by: a }, 8);
    const [gv, uv] = [await version(g._id), await version(u._id)];
    await n1.participants.markRead(g._id, b, m.record._id);
    await n1.messages.insert(message(org, g._id, b, 'again'));
    await n1.conversations.touch(org, g._id, Date.now() + 1000);
    const handler = await n1.conversationHandlers.byConversation(org, g._id);
    assert.ok(handler);
    await n1.conversationHandlers.recordError(org, g._id, handler.updated_at, 'boom', 9);
    await n1.blocks.block(org, c, [a], 10);
    assert.deepEqual([await version(g._id), await version(u._id)], [gv, uv], 'a read mark, a message, a handler error and a block between others leave views as they were');
  });

  it('checks again an insert made from an outdated cached view, keeps the conversation’s order, and fails only what the recheck refuses', async () => {
    const [n1, n2] = nodes();
    const org = newId();
    await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
    const [owner, gone, stays] = [newId(), newId(), newId()];
    const g = await group(n1, org, owner, [gone, stays]);
    const other = await group(n1, org, owner, [stays]);
    // Node 2 caches both views.
    const cached = await n2.conversations.sendView(org, g._id, stays, true);
    const otherView = await n2.conversations.sendView(org, other._id, stays, true);
    assert.ok(cached?.version !== undefined && otherView?.version !== undefined);
    assert.equal(await n2.conversations.sendView(org, g._id, stays, true), cached, 'the second read is the cached view');
    // Node 1 removes a participant: node 2's view is now outdated.
    await n1.participants.remove(org, g._id, [gone]);
    assert.equal(await n2.conversations.sendView(org, g._id, stays, true), cached, 'the cache does not know yet');
    const rechecked: string[] = [];
    const guarded = (body: string, refuse = false): InsertGuard => ({
      viewVersion: cached.version as number,
      recheck: async () => {
        rechecked.push(body);
        const fresh = await n2.conversations.sendView(org, g._id, stays);
        assert.ok(fresh && !fresh.participants.some((p) => p.user_id === gone), 'the recheck reads the current view');
        if (refuse) throw new Error(`refused ${body}`);
        return { record: message(org, g._id, stays, `${body} (rechecked)`), hiddenFor: [], pushes: [], ...(fresh.version === undefined ? {} : { guard: { viewVersion: fresh.version, recheck: () => Promise.reject(new Error('checked twice')) } }) };
      },
    });
    // One batch: three messages of the outdated conversation (the second refused on recheck, the
    // third unguarded, as a bot reply is) and one of another conversation.
    const results = await Promise.allSettled([
      n2.messages.insert(message(org, g._id, stays, 'one'), [], [], undefined, guarded('one')),
      n2.messages.insert(message(org, g._id, stays, 'two'), [], [], undefined, guarded('two', true)),
      n2.messages.insert(message(org, g._id, stays, 'three')),
      n2.messages.insert(message(org, other._id, stays, 'elsewhere'), [], [], undefined, { viewVersion: otherView.version, recheck: () => Promise.reject(new Error('not outdated')) }),
    ]);
    assert.deepEqual(rechecked, ['one', 'two']);
    assert.equal(results[1]?.status, 'rejected');
    assert.match(String(results[1].reason), /refused two/);
    const bodies = (await n1.messages.range(org, g._id, null, null, 10)).map((m) => m.body);
    assert.deepEqual(bodies, ['one (rechecked)', 'three'], 'what was stored, in submission order');
    assert.deepEqual((await n1.messages.range(org, other._id, null, null, 10)).map((m) => m.body), ['elsewhere']);
    const first = results[0];
    assert.ok(first?.status === 'fulfilled' && first.value.record.body === 'one (rechecked)', 'the insert resolves to what was stored');
    // Node 2 now caches the current view.
    const now = await n2.conversations.sendView(org, g._id, stays, true);
    assert.ok(now && now.version !== cached.version && !now.participants.some((p) => p.user_id === gone));
  });
});
