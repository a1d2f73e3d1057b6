import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import { freshOrg, makeUser } from '../contract/harness.js';
import { openSqliteStore } from '../sqlite/index.js';
import type { MessageRecord, Store } from '../store.js';
import { cachedStore } from './cached-store.js';

/**
 * Every write through the cached store must show in its very next read. Each check warms the
 * cache first, writes, then compares the cached answer with the underlying store's.
 */
describe('cachedStore invalidation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cache-'));
  let raw: Store;
  let store: Store;
  before(async () => {
    raw = await openSqliteStore({ dataDir: dir });
    store = cachedStore(raw);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function group(org: string, owner: string, members: string[]): Promise<string> {
    const c = await store.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }, ...members.map((user_id) => ({ user_id, role: null }))]);
    return c._id;
  }
  /** Cached and uncached answers agree for the conversation and its roster. */
  async function same(org: string, cid: string, users: string[]): Promise<void> {
    assert.deepEqual(await store.conversations.byId(org, cid), await raw.conversations.byId(org, cid));
    assert.deepEqual(await store.participants.list(cid), await raw.participants.list(cid));
    for (const u of users) assert.deepEqual(await store.participants.get(cid, u), await raw.participants.get(cid, u));
  }

  it('follows participant adds, removals, roles and read markers', async () => {
    const org = await freshOrg(store);
    const [a, b, c] = [newId(), newId(), newId()];
    const cid = await group(org, a, [b]);
    await same(org, cid, [a, b, c]);
    assert.deepEqual(await store.participants.add(org, cid, [{ user_id: c, role: null }], 5), [c]);
    assert.equal((await store.participants.get(cid, c))?.user_id, c);
    assert.equal((await store.conversations.byId(org, cid))?.participants_count, 3);
    await same(org, cid, [a, b, c]);
    assert.deepEqual(await store.participants.remove(org, cid, [b]), [b]);
    assert.equal(await store.participants.get(cid, b), undefined);
    await same(org, cid, [a, b, c]);
    await store.participants.setRole(cid, [c], 'admin', 6);
    assert.equal((await store.participants.get(cid, c))?.role, 'admin');
    const mid = newId();
    await store.participants.markRead(cid, c, mid);
    assert.equal((await store.participants.get(cid, c))?.last_read_message_id, mid);
    await same(org, cid, [a, b, c]);
  });

  it('follows conversation updates, touches, deletes and message inserts', async () => {
    const org = await freshOrg(store);
    const [a, b] = [newId(), newId()];
    const cid = await group(org, a, [b]);
    await same(org, cid, [a, b]);
    assert.equal((await store.conversations.update(org, cid, { name: 'renamed' }, 50))?.name, 'renamed');
    assert.equal((await store.conversations.byId(org, cid))?.name, 'renamed');
    await store.conversations.touch(org, cid, 60);
    await same(org, cid, [a, b]);
    const msg = (at: number): MessageRecord => ({ _id: newIdAt(at), organization_id: org, cid, from: a, client_id: `c${at}`, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: at, updated_at: at });
    await Promise.all([store.messages.insert(msg(1000)), store.messages.insert(msg(900))]);
    assert.equal((await store.conversations.byId(org, cid))?.updated_at, 1000);
    await store.messages.insert(msg(70)); // older than updated_at: never moves it back
    await same(org, cid, [a, b]);
    assert.equal((await store.messages.insert(msg(1000))).duplicate, true);
    await same(org, cid, [a, b]);
    await store.conversations.delete(org, cid);
    assert.equal(await store.conversations.byId(org, cid), undefined);
    assert.deepEqual(await store.participants.list(cid), []);
    assert.equal(await store.participants.get(cid, a), undefined);
  });

  it('answers another organization\'s conversation as not found even when cached', async () => {
    const org = await freshOrg(store);
    const other = await freshOrg(store);
    const cid = await group(org, newId(), []);
    assert.equal((await store.conversations.byId(org, cid))?._id, cid);
    assert.equal(await store.conversations.byId(other, cid), undefined);
  });

  it('follows blocks, unblocks, enabling and user deletion in both directions', async () => {
    const org = await freshOrg(store);
    const [a, b] = [newId(), newId()];
    const check = async (want: boolean): Promise<void> => {
      assert.equal(await store.blocks.blockedEitherWay(org, a, b), want);
      assert.equal(await store.blocks.blockedEitherWay(org, b, a), want);
      assert.equal(await raw.blocks.blockedEitherWay(org, a, b), want);
    };
    await check(false);
    await store.blocks.block(org, b, [a], 1);
    await check(true);
    await store.blocks.setEnabled(org, b, false);
    await check(false);
    await store.blocks.setEnabled(org, b, true);
    await check(true);
    await store.blocks.unblock(org, b, [a]);
    await check(false);
    await store.blocks.block(org, a, [b], 2);
    await check(true);
    await store.blocks.deleteUser(org, a);
    await check(false);
  });

  it('follows user edits, activity and deletion', async () => {
    const org = await freshOrg(store);
    const u = await makeUser(store, org);
    assert.deepEqual(await store.users.byId(org, u._id), await raw.users.byId(org, u._id));
    await store.users.update(org, u._id, { login: 'renamed' }, 5);
    assert.equal((await store.users.byId(org, u._id))?.login, 'renamed');
    await store.users.setRecentActivity(org, u._id, 99);
    assert.equal((await store.users.byId(org, u._id))?.recent_activity, 99);
    assert.equal(await store.users.delete(org, u._id), true);
    assert.equal(await store.users.byId(org, u._id), undefined);
  });
});
