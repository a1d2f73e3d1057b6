import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

describe('users and sessions over WebSocket', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ LOGIN_RATE_LIMIT_PER_LOGIN: '3' });
  });
  after(() => server.stop());

  it('user_create validates and keeps login, e-mail and phone unique per organization', async () => {
    const org = await server.createOrg();
    const other = await server.createOrg();
    const c = await server.client();
    const create = (body: Record<string, unknown>) => c.request('user_create', { organization_id: org, password: 'pw123', ...body });
    const ok = await create({ login: 'Zed', email: 'zed@x.io', phone: '5550001' });
    assert.equal(ok.user.login, 'Zed');
    assert.equal(ok.user.phone, '5550001');
    assert.deepEqual((await create({ login: 'zed', email: 'z2@x.io' })).error, { status: 422, message: 'The provided data is already associated with an existing user account.' });
    assert.deepEqual((await create({ login: 'zed2', email: 'zed@x.io' })).error, { status: 422, message: 'The provided data is already associated with an existing user account.' });
    assert.deepEqual((await create({ login: 'zed3', email: 'z3@x.io', phone: '5550001' })).error, { status: 422, message: 'The provided data is already associated with an existing user account.' });
    assert.deepEqual((await create({ login: 'ab', email: 'a@x.io' })).error, { status: 422, message: 'The login provided is incorrect.' });
    assert.deepEqual((await create({ login: 'abc', email: 'a@x.io', password: 'pw' })).error, { status: 422, message: 'The password entered is incorrect.' });
    assert.equal((await create({ login: 'abc' })).error, '"email" is required');
    assert.equal((await create({ login: 'abc', email: 'a@x.io', first_name: 'A' })).error, '"first_name" is not allowed');
    assert.deepEqual((await c.request('user_create', { organization_id: '000000000000000000000000', login: 'abc', password: 'pw123', email: 'a@x.io' })).error, { status: 404, message: 'Organization not found' });
    // another organization may reuse the same login
    assert.equal((await c.request('user_create', { organization_id: other, login: 'zed', password: 'pw123', email: 'zed@x.io' })).user.login, 'zed');
    await c.close();
  });

  it('user_login rejects bad credentials alike, and connect accepts only the device the token was issued for', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const c = await server.client();
    const wrong = await c.request('user_login', { organization_id: org, login: u.login, password: 'nope', device_id: 'd' });
    const unknown = await c.request('user_login', { organization_id: org, login: 'nobody-here', password: 'nope', device_id: 'd' });
    assert.deepEqual(wrong.error, { status: 401, message: 'Incorrect username or password.' });
    assert.deepEqual(unknown.error, wrong.error);
    assert.deepEqual((await c.request('user_login', { organization_id: org, login: u.login, password: u.password })).error, { status: 422, message: "'device_id' is required." });
    assert.deepEqual((await c.request('user_login', { organization_id: org, login: 5, password: 'x', device_id: 'd' })).error, { status: 422, message: "The 'login' or 'password' field is missing." });
    const ok = await c.request('user_login', { organization_id: org, login: u.login.toUpperCase(), password: u.password, device_id: 42 });
    assert.equal(ok.user._id, u._id);
    // token login on another socket for the same device (number and string forms are the same device)
    const c2 = await server.client();
    assert.equal((await c2.request('user_login', { organization_id: org, token: ok.token, device_id: '42' })).user._id, u._id);
    assert.deepEqual((await c2.request('user_login', { organization_id: org, token: 'garbage', device_id: '42' })).error, { status: 422, message: 'The token has expired.' });
    await Promise.all([c.close(), c2.close()]);
  });

  it('rate-limits failed logins per login name', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const c = await server.client();
    for (let i = 0; i < 3; i++) {
      assert.equal((await c.request('user_login', { organization_id: org, login: u.login, password: 'bad', device_id: 'd' })).error.status, 401);
    }
    assert.deepEqual((await c.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'd' })).error, { status: 429, message: 'Too many requests.' });
    // another login is unaffected
    const v = await server.createUser(org);
    assert.equal(typeof (await c.request('user_login', { organization_id: org, login: v.login, password: v.password, device_id: 'd' })).token, 'string');
    await c.close();
  });

  it('user_logout revokes only that device, unbinds the socket and keeps it open', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const a = await server.client();
    const tokenA = (await a.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'A' })).token as string;
    const b = await server.client();
    const tokenB = (await b.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'B' })).token as string;
    assert.deepEqual(await a.request('user_logout'), { id: 'r2', success: true });
    assert.deepEqual((await a.request('user_logout')).error, { status: 401, message: 'Unauthorized.' });
    assert.deepEqual((await a.request('get_users_by_ids', { ids: [u._id] })).error, { status: 401, message: 'Unauthorized.' });
    assert.deepEqual((await a.request('connect', { token: tokenA, device_id: 'A' })).error, { status: 422, message: 'The token has expired.' });
    assert.equal((await b.request('get_users_by_ids', { ids: [u._id] })).users.length, 1);
    const b2 = await server.client();
    assert.equal((await b2.request('connect', { token: tokenB, device_id: 'B' })).success, true);
    await Promise.all([a.close(), b2.close()]);
  });

  it('user_edit changes the profile, guards the password and uniqueness', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const taken = await server.createUser(org);
    const c = await server.loggedIn(u);
    const r = await c.request('user_edit', { first_name: 'Ann', last_name: 'Lee', phone: '123456', avatar_object: { file_name: 'a.png', file_blur_hash: 'LEHV6n' } });
    assert.equal(r.user.first_name, 'Ann');
    assert.deepEqual(r.user.avatar_object, { file_name: 'a.png', file_blur_hash: 'LEHV6n' });
    assert.deepEqual((await c.request('user_edit', { login: taken.login.toUpperCase() })).error, { status: 422, message: 'The provided data is already associated with an existing user account.' });
    assert.deepEqual((await c.request('user_edit', { new_password: 'newpass' })).error, { status: 401, message: 'The current password you entered is incorrect.' });
    assert.deepEqual((await c.request('user_edit', { new_password: 'newpass', current_password: 'wrong' })).error, { status: 401, message: 'The current password you entered is incorrect.' });
    assert.equal((await c.request('user_edit', { email: 'Not-Lower@x.io' })).error, '"email" with value "Not-Lower@x.io" fails to match the required pattern');
    assert.equal((await c.request('user_edit', { first_name: 7 })).error, '"first_name" must be a string');
    const phone = await server.client();
    const phoneToken = (await phone.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'phone' })).token as string;
    assert.equal((await c.request('user_edit', { new_password: 'newpass', current_password: u.password })).user._id, u._id);
    // the other device is signed out: socket closed, token dead; this one keeps working
    const closed = await Promise.race([phone.closed, new Promise<undefined>((resolve) => setTimeout(resolve, 3000, undefined))]);
    assert.equal(closed?.code, 4002);
    const retry = await server.client();
    assert.deepEqual((await retry.request('connect', { token: phoneToken, device_id: 'phone' })).error, { status: 422, message: 'The token has expired.' });
    await retry.close();
    assert.equal((await c.request('user_edit', { first_name: 'Still' })).user.first_name, 'Still');
    const d = await server.client();
    assert.equal((await d.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'x' })).error.status, 401);
    assert.equal(typeof (await d.request('user_login', { organization_id: org, login: u.login, password: 'newpass', device_id: 'x' })).token, 'string');
    await Promise.all([c.close(), d.close()]);
  });

  it('get_users_by_ids and user_search stay inside the organization', async () => {
    const org = await server.createOrg();
    const other = await server.createOrg();
    const me = await server.createUser(org, { login: `me${Date.now()}` });
    const [a, b] = [await server.createUser(org), await server.createUser(org)];
    const stranger = await server.createUser(other);
    const c = await server.loggedIn(me);
    await c.request('user_edit', { first_name: 'Searcher' });
    const got = await c.request('get_users_by_ids', { ids: [a._id, stranger._id, b._id] });
    assert.deepEqual(got.users.map((x: { _id: string }) => x._id), [b._id, a._id]);
    assert.equal((await c.request('get_users_by_ids', { ids: [] })).error, '"ids" must contain at least 1 items');
    assert.equal((await c.request('get_users_by_ids', { ids: Array.from({ length: 101 }, () => a._id) })).error, '"ids" must contain less than or equal to 100 items');
    const found = await c.request('user_search', { keyword: a.login.slice(0, 4) });
    const ids = found.users.map((x: { _id: string }) => x._id);
    assert.ok(ids.includes(a._id) && ids.includes(b._id));
    assert.ok(!ids.includes(stranger._id) && !ids.includes(me._id));
    assert.deepEqual((await c.request('user_search', { keyword: a.login, ignore_ids: [a._id] })).users, []);
    assert.equal((await c.request('user_search', { keyword: a.login, limit: 0 })).error, '"limit" must be greater than or equal to 1');
    assert.equal((await c.request('user_search', {})).error, '"keyword" is required');
    await c.close();
  });

  it('user_delete removes the account, closes the other devices and unbinds this one', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const watcher = await server.createUser(org);
    const a = await server.loggedIn(u, 'A');
    const b = await server.loggedIn(u, 'B');
    assert.deepEqual(await a.request('user_delete'), { id: 'r2', success: true });
    assert.equal((await b.closed).code, 4001);
    assert.deepEqual((await a.request('user_delete')).error, { status: 401, message: 'Unauthorized.' });
    const w = await server.loggedIn(watcher);
    assert.deepEqual((await w.request('get_users_by_ids', { ids: [u._id] })).users, []);
    const again = await server.client();
    assert.equal((await again.request('user_login', { organization_id: org, login: u.login, password: u.password, device_id: 'A' })).error.status, 401);
    await Promise.all([a.close(), w.close(), again.close()]);
  });
});
