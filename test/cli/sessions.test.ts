import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, TestServer, type TestUser } from '../helpers/server.js';
import { runCli } from './helpers.js';

/** Resolves with the close, or 'open' when the socket is still open after `ms`. */
function closedWithin(closed: Promise<{ code: number; reason: string }>, ms: number): Promise<{ code: number; reason: string } | 'open'> {
  return Promise.race([closed, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);
}

describe('admin CLI against a running server: passwords, sessions, deletions', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await TestServer.start({ JWT_REFRESH_TOKEN_EXPIRES_IN: '3600' });
    const config = server.node.config;
    // The CLI's settings name the same store; it finds the server at APP_PORT on this machine.
    env = { DATA_DIR: config.dataDir, ...(config.databaseUrl === undefined ? {} : { DATABASE_URL: config.databaseUrl }), HTTP_ADMIN_API_KEY: ADMIN_KEY, APP_PORT: String(server.node.port), BIND_HOST: '127.0.0.1', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' };
  });
  after(() => server.stop());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  /** Logs in over HTTP and returns the refresh cookie and access token of that device. */
  async function httpLogin(u: TestUser, password: string, deviceId: string): Promise<{ status: number; cookie: string; access: string }> {
    const res = await post('/login', { organization_id: u.orgId, login: u.login, password, device_id: deviceId });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const body = res.status === 200 ? ((await res.json()) as { access_token: string }) : { access_token: '' };
    return { status: res.status, cookie, access: body.access_token };
  }

  async function socketLogin(u: TestUser, password: string): Promise<number | 'ok'> {
    const c = await server.client();
    try {
      const r = await c.request('user_login', { organization_id: u.orgId, login: u.login, password, device_id: 'probe' });
      return r.token ? 'ok' : (r.error?.status as number);
    } finally {
      await c.close();
    }
  }

  it('reset-password: the new password logs in, the old one and every old token fail, live sockets close with 4002', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const live = await server.loggedIn(u, 'phone');
    const web = await httpLogin(u, u.password, 'web');
    assert.equal(web.status, 200);
    // A socket resumed with the access token: the node now has the user's record cached.
    const resumed = await server.client();
    assert.equal((await resumed.request('connect', { token: web.access, device_id: 'web' })).success, true);

    const reset = await runCli(['user', 'reset-password', u.login, '--org', org, '--password', 'brand-new-pw', '--json'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.json().tokensRevoked, true);
    assert.equal(reset.json().sessions.ok, true);
    assert.equal(reset.json().sessions.users, 1);
    assert.deepEqual(await closedWithin(live.closed, 3000), { code: 4002, reason: 'password changed' });
    assert.deepEqual(await closedWithin(resumed.closed, 3000), { code: 4002, reason: 'password changed' });

    assert.equal(await socketLogin(u, u.password), 401, 'the old password fails');
    assert.equal(await socketLogin(u, 'brand-new-pw'), 'ok', 'the new one works');
    assert.equal((await post('/login', { device_id: 'web' }, { cookie: web.cookie })).status, 422, 'the old refresh token fails');
    const c = await server.client();
    assert.notEqual((await c.request('connect', { token: web.access, device_id: 'web' })).success, true, 'the old access token fails');
    await c.close();
    // The node forgot its cached copy of the user: the current password is the new one.
    const fresh = await server.loggedIn({ ...u, password: 'brand-new-pw' }, 'tablet');
    const edited = await fresh.request('user_edit', { current_password: 'brand-new-pw', new_password: 'even-newer-pw' });
    assert.ok(edited.user, JSON.stringify(edited));
    await fresh.close();

    const generated = await runCli(['user', 'reset-password', u._id, '--org', org, '--no-server', '--json'], env);
    assert.equal(generated.code, 0);
    assert.equal(generated.json().sessions.ok, false);
    assert.equal(await socketLogin(u, generated.json().password as string), 'ok');
  });

  it('revoke-sessions: tokens stop working and sockets close, the password stays', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const live = await server.loggedIn(u, 'phone');
    const web = await httpLogin(u, u.password, 'web');
    const revoked = await runCli(['user', 'revoke-sessions', u.login, '--org', org], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /a token refresh or a reconnect with an old token fails/);
    assert.match(revoked.stdout, /closed the live sockets of 1 user/);
    assert.deepEqual(await closedWithin(live.closed, 3000), { code: 4002, reason: 'sessions revoked' });
    assert.equal((await post('/login', { device_id: 'web' }, { cookie: web.cookie })).status, 422);
    assert.equal(await socketLogin(u, u.password), 'ok');
  });

  it('without the admin key or with a wrong one, tokens are still revoked and the output says the sockets stay open', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const live = await server.loggedIn(u, 'phone');
    const noKey = { ...env };
    delete noKey.HTTP_ADMIN_API_KEY;
    const r1 = await runCli(['user', 'revoke-sessions', u._id, '--org', org, '--json'], noKey);
    assert.equal(r1.code, 0);
    assert.equal(r1.json().sessions.ok, false);
    assert.match(r1.json().sessions.message, /HTTP_ADMIN_API_KEY is not set/);
    assert.match(r1.stderr, /warning: .*stay open until they disconnect/);
    const r2 = await runCli(['user', 'revoke-sessions', u._id, '--org', org, '--json'], { ...env, HTTP_ADMIN_API_KEY: 'wrong-key' });
    assert.match(r2.json().sessions.message, /refused to close live sockets \(401/);
    assert.equal(await closedWithin(live.closed, 300), 'open');
    await live.close();
  });

  it('after a deletion the running node no longer serves the deleted user from its cache', async () => {
    const org = await server.createOrg();
    const [watcher, gone] = [await server.createUser(org), await server.createUser(org)];
    const c = await server.loggedIn(watcher);
    // Reading an offline user's activity puts their record in the node's cache.
    assert.ok((await c.request('user_last_activity_subscribe', { id: gone._id })).last_activity);
    const del = await runCli(['user', 'delete', gone._id, '--org', org, '--yes', '--json'], env);
    assert.equal(del.json().sessions.ok, true);
    assert.equal(del.json().sessions.users, 0);
    assert.equal((await c.request('user_last_activity_subscribe', { id: gone._id })).error?.status, 422);
    await c.close();
  });

  it('user delete and org delete close the sockets of the users they delete (4001)', async () => {
    const org = await server.createOrg();
    const [a, b] = [await server.createUser(org), await server.createUser(org)];
    const liveA = await server.loggedIn(a);
    const liveB = await server.loggedIn(b);
    const del = await runCli(['user', 'delete', a.login, '--org', org, '--yes', '--json', '--server', server.httpUrl], { ...env, APP_PORT: '0' });
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.json().sessions.users, 1);
    assert.deepEqual(await closedWithin(liveA.closed, 3000), { code: 4001, reason: 'user deleted' });
    assert.equal(await socketLogin(a, a.password), 401, 'no such user any more');
    assert.equal(await closedWithin(liveB.closed, 200), 'open');
    const orgDel = await runCli(['org', 'delete', org, '--yes', '--json'], env);
    assert.equal(orgDel.code, 0, orgDel.stderr);
    assert.equal(orgDel.json().sessions.users, 1);
    assert.deepEqual(await closedWithin(liveB.closed, 3000), { code: 4001, reason: 'user deleted' });
  });
});
