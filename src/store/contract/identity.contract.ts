import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { ConflictError, type Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

/** Contract of OrganizationStore, UserStore and TokenStore. */
export function identityContract(store: () => Store): void {
  describe('OrganizationStore', () => {
    it('creates, finds by id and name, and refuses a duplicate name', async () => {
      const name = `org ${newId()}`;
      const id = newId();
      const org = await store().organizations.insert({ _id: id, name, now: 1234 });
      assert.deepEqual(org, { _id: id, name, created_at: 1234, updated_at: 1234 });
      assert.deepEqual(await store().organizations.byId(id), org);
      assert.deepEqual(await store().organizations.byName(name), org);
      await assert.rejects(store().organizations.insert({ _id: newId(), name, now: 1 }), ConflictError);
      assert.equal(await store().organizations.byId(newId()), undefined);
    });
  });

  describe('UserStore', () => {
    it('round-trips every field with numbers as numbers', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org, { login: 'Alice', email: 'a@x.io', phone: '12345', first_name: 'Al', last_name: 'Ice', avatar_object: { file_id: 'f1', file_name: 'a.png' }, recent_activity: 1_700_000_000, created_at: 1_700_000_000_123 });
      const got = await store().users.byId(org, u._id);
      assert.deepEqual(got, u);
      assert.equal(typeof got?.created_at, 'number');
      assert.equal(got?.updated_at, 1_700_000_000_123);
    });

    it('keeps logins unique per organization ignoring case, and e-mail/phone unique when set', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      await makeUser(store(), org, { login: 'Bob', email: 'b@x.io', phone: '555' });
      await assert.rejects(makeUser(store(), org, { login: 'bOB' }), (e: unknown) => e instanceof ConflictError && e.constraint === 'user_login');
      await assert.rejects(makeUser(store(), org, { email: 'b@x.io' }), (e: unknown) => e instanceof ConflictError && e.constraint === 'user_email');
      await assert.rejects(makeUser(store(), org, { phone: '555' }), (e: unknown) => e instanceof ConflictError && e.constraint === 'user_phone');
      // absent e-mail/phone never clash; another organization may reuse everything
      await makeUser(store(), org);
      await makeUser(store(), org);
      await makeUser(store(), other, { login: 'bob', email: 'b@x.io', phone: '555' });
      assert.equal((await store().users.byLogin(org, 'BOB'))?.login, 'Bob');
      assert.equal((await store().users.byEmail(other, 'b@x.io'))?.login, 'bob');
    });

    it('never returns a user of another organization', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      const u = await makeUser(store(), org, { login: 'carol' });
      assert.equal(await store().users.byId(other, u._id), undefined);
      assert.equal(await store().users.byLogin(other, 'carol'), undefined);
      assert.deepEqual(await store().users.byIds(other, [u._id]), []);
      assert.equal(await store().users.update(other, u._id, { first_name: 'X' }, 5), undefined);
      assert.equal(await store().users.delete(other, u._id), false);
      assert.deepEqual(await store().users.search(other, { keyword: 'carol', limit: 10, excludeIds: [] }), []);
    });

    it('lists by ids newest first and skips unknown ids', async () => {
      const org = await freshOrg(store());
      const a = await makeUser(store(), org);
      const b = await makeUser(store(), org);
      const got = await store().users.byIds(org, [a._id, newId(), b._id, a._id]);
      assert.deepEqual(got.map((u) => u._id), [b._id, a._id]);
    });

    it('updates fields, clears with null, reports conflicts, and deletes', async () => {
      const org = await freshOrg(store());
      const a = await makeUser(store(), org, { login: 'dave', email: 'd@x.io' });
      await makeUser(store(), org, { login: 'erin', email: 'e@x.io' });
      const up = await store().users.update(org, a._id, { first_name: 'Dave', email: null, login: 'David' }, 99);
      assert.equal(up?.first_name, 'Dave');
      assert.equal(up?.email, null);
      assert.equal(up?.updated_at, 99);
      assert.equal((await store().users.byLogin(org, 'david'))?._id, a._id);
      await assert.rejects(store().users.update(org, a._id, { email: 'e@x.io' }, 100), ConflictError);
      await store().users.setRecentActivity(org, a._id, 4242);
      assert.equal((await store().users.byId(org, a._id))?.recent_activity, 4242);
      assert.equal((await store().users.byId(org, a._id))?.updated_at, 99);
      assert.equal(await store().users.delete(org, a._id), true);
      assert.equal(await store().users.byId(org, a._id), undefined);
    });

    it('replaces a password hash only while it is the one expected, leaving updated_at alone', async () => {
      const org = await freshOrg(store());
      const u = await makeUser(store(), org, { password_hash: 'old', created_at: 5 });
      assert.equal(await store().users.replacePasswordHash(org, u._id, 'other', 'new'), false);
      assert.equal((await store().users.byId(org, u._id))?.password_hash, 'old');
      assert.equal(await store().users.replacePasswordHash(newId(), u._id, 'old', 'new'), false);
      assert.equal(await store().users.replacePasswordHash(org, u._id, 'old', 'new'), true);
      const got = await store().users.byId(org, u._id);
      assert.equal(got?.password_hash, 'new');
      assert.equal(got?.updated_at, 5);
      assert.equal(await store().users.replacePasswordHash(org, u._id, 'old', 'newer'), false);
    });

    it('searches substrings literally, ordered by first name desc then last name and login', async () => {
      const org = await freshOrg(store());
      const x = await makeUser(store(), org, { login: 'zz_x', first_name: 'Anna', last_name: 'Kay' });
      const y = await makeUser(store(), org, { login: 'yy', first_name: 'Mark', last_name: 'Lee_x' });
      const z = await makeUser(store(), org, { login: 'ww', first_name: 'Mark', last_name: 'Abbot' });
      await makeUser(store(), org, { login: 'zzax', first_name: 'Other' });
      const got = await store().users.search(org, { keyword: '_X', limit: 10, excludeIds: [] });
      assert.deepEqual(got.map((u) => u._id), [y._id, x._id]);
      const marks = await store().users.search(org, { keyword: 'mark', limit: 10, excludeIds: [] });
      assert.deepEqual(marks.map((u) => u._id), [z._id, y._id]);
      assert.deepEqual((await store().users.search(org, { keyword: 'mark', limit: 1, excludeIds: [z._id] })).map((u) => u._id), [y._id]);
      assert.deepEqual(await store().users.search(org, { keyword: '%', limit: 10, excludeIds: [] }), []);
      await store().users.update(org, x._id, { last_name: 'Kay2' }, Date.now() + 10_000);
      assert.deepEqual((await store().users.search(org, { keyword: 'x', limit: 10, excludeIds: [], updatedAfter: Date.now() + 5_000 })).map((u) => u._id), [x._id]);
    });
  });

  describe('ContactStore', () => {
    it('stores, updates, lists newest first and deletes only the owner\'s contacts', async () => {
      const org = await freshOrg(store());
      const [me, other] = [newId(), newId()];
      const mk = (owner: string, n: number) => ({ _id: newId(), organization_id: org, user_id: owner, first_name: `F${n}`, last_name: null, company: null, email: [{ type: 'w', value: `${n}@x.io` }], phone: null, created_at: n, updated_at: n });
      const [c1, c2, c3] = [mk(me, 1), mk(me, 2), mk(other, 3)];
      await store().contacts.insert([c1, c2, c3]);
      assert.deepEqual(await store().contacts.list(org, me, { limit: 0 }), [c2, c1]);
      assert.deepEqual((await store().contacts.list(org, me, { limit: 10, updatedAfter: 1 })).map((c) => c._id), [c2._id]);
      assert.equal(await store().contacts.update(org, other, c1._id, { company: 'X' }, 5), undefined);
      assert.deepEqual(await store().contacts.update(org, me, c1._id, { company: 'Acme', phone: [{ type: 'm', value: '1' }] }, 5), { ...c1, company: 'Acme', phone: [{ type: 'm', value: '1' }], updated_at: 5 });
      await store().contacts.delete(org, other, c2._id);
      assert.equal((await store().contacts.list(org, me, { limit: 0 })).length, 2);
      await store().contacts.delete(org, me, c2._id);
      assert.deepEqual((await store().contacts.list(org, me, { limit: 1 })).map((c) => c._id), [c1._id]);
    });

    it('finds users of the organization by e-mail or phone for matching', async () => {
      const org = await freshOrg(store());
      const a = await makeUser(store(), org, { email: 'm1@x.io' });
      const b = await makeUser(store(), org, { phone: '777' });
      await makeUser(store(), await freshOrg(store()), { email: 'm2@x.io' });
      const got = await store().users.byEmailsOrPhones(org, ['m1@x.io', 'm2@x.io'], ['777', '888']);
      assert.deepEqual(got.map((u) => u._id).sort(), [a._id, b._id].sort());
      assert.deepEqual(await store().users.byEmailsOrPhones(org, [], []), []);
    });
  });

  describe('BlockStore', () => {
    it('blocks idempotently, enforces only enabled blocks either way, and forgets a user', async () => {
      const org = await freshOrg(store());
      const [a, b, c] = [newId(), newId(), newId()];
      await store().blocks.block(org, a, [b, b], 1);
      await store().blocks.block(org, a, [b, c], 2);
      assert.deepEqual(await store().blocks.list(org, a), [b, c]);
      assert.equal(await store().blocks.blockedEitherWay(org, b, a), true);
      assert.equal(await store().blocks.blockedEitherWay(org, b, c), false);
      assert.equal(await store().blocks.blockedEitherWay(await freshOrg(store()), a, b), false);
      await store().blocks.setEnabled(org, a, false);
      assert.equal(await store().blocks.blockedEitherWay(org, a, b), false);
      await store().blocks.block(org, a, [newId()], 3);
      assert.equal((await store().blocks.list(org, a)).length, 3);
      await store().blocks.setEnabled(org, a, true);
      await store().blocks.unblock(org, a, [c]);
      assert.deepEqual((await store().blocks.list(org, a)).slice(0, 1), [b]);
      await store().blocks.block(org, b, [a], 4);
      await store().blocks.deleteUser(org, a);
      assert.deepEqual(await store().blocks.list(org, a), []);
      assert.deepEqual(await store().blocks.list(org, b), []);
    });
  });

  describe('TokenStore', () => {
    it('keeps one token per (user, device, type), honours expiry and type, and revokes', async () => {
      const org = await freshOrg(store());
      const user = newId();
      const t = { organization_id: org, user_id: user, device_id: 'd1', type: 'access' as const, token_hash: newId(), expires_at: 10_000, created_at: 1 };
      await store().tokens.put(t);
      assert.deepEqual(await store().tokens.find('access', t.token_hash, 5_000), t);
      assert.equal(await store().tokens.find('refresh', t.token_hash, 5_000), undefined);
      assert.equal(await store().tokens.find('access', t.token_hash, 10_000), undefined);
      const rotated = { ...t, token_hash: newId(), expires_at: 20_000 };
      await store().tokens.put(rotated);
      assert.equal(await store().tokens.find('access', t.token_hash, 5_000), undefined);
      assert.deepEqual(await store().tokens.forDevice(user, 'd1', 'access', 5_000), rotated);
      await store().tokens.put({ ...t, device_id: 'd2', token_hash: newId() });
      await store().tokens.put({ ...t, type: 'refresh', token_hash: newId(), expires_at: 30_000 });
      await store().tokens.deleteDevice(user, 'd1');
      assert.equal(await store().tokens.forDevice(user, 'd1', 'access', 5_000), undefined);
      assert.equal(await store().tokens.forDevice(user, 'd1', 'refresh', 5_000), undefined);
      assert.notEqual(await store().tokens.forDevice(user, 'd2', 'access', 5_000), undefined);
      await store().tokens.put({ ...t, device_id: 'd3', token_hash: newId() });
      await store().tokens.deleteUser(user, 'd3');
      assert.equal(await store().tokens.forDevice(user, 'd2', 'access', 5_000), undefined);
      assert.notEqual(await store().tokens.forDevice(user, 'd3', 'access', 5_000), undefined);
      await store().tokens.put({ ...t, device_id: 'd2', token_hash: newId() });
      await store().tokens.deleteUser(user);
      assert.equal(await store().tokens.forDevice(user, 'd3', 'access', 5_000), undefined);
      assert.equal(await store().tokens.forDevice(user, 'd2', 'access', 5_000), undefined);
    });

    it('sweeps expired rows only', async () => {
      const org = await freshOrg(store());
      const user = newId();
      const base = { organization_id: org, user_id: user, type: 'access' as const, created_at: 1 };
      await store().tokens.put({ ...base, device_id: 'old', token_hash: newId(), expires_at: 100 });
      await store().tokens.put({ ...base, device_id: 'new', token_hash: newId(), expires_at: Number.MAX_SAFE_INTEGER });
      assert.ok((await store().tokens.sweep(200)) >= 1);
      assert.notEqual(await store().tokens.forDevice(user, 'new', 'access', 200), undefined);
    });
  });
}
