import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

const SECRET = 'cookie-secret-for-tests';

/** Splits `refresh_token=<value>; Max-Age=…; …` into value and attributes. */
function parseCookie(header: string | null): { value: string; attrs: string[] } {
  assert.ok(header, 'Set-Cookie present');
  const [first = '', ...attrs] = header.split('; ');
  assert.ok(first.startsWith('refresh_token='));
  return { value: first.slice('refresh_token='.length), attrs };
}

describe('HTTP login, refresh and logout', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ COOKIE_SECRET: SECRET, JWT_REFRESH_TOKEN_EXPIRES_IN: '3600', CORS_ORIGIN: 'https://app.example' });
  });
  after(() => server.stop());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('logs in with a password and sets a refresh cookie signed the cookie-signature way', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const res = await post('/login', { organization_id: org, login: u.login, password: u.password, device_id: 'web1' }, { origin: 'https://app.example' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { user: { _id: string }; access_token: string; expired_at: number };
    assert.equal(body.user._id, u._id);
    assert.ok(body.expired_at > Date.now());
    const { value, attrs } = parseCookie(res.headers.get('set-cookie'));
    assert.ok(attrs.includes('Max-Age=3600') && attrs.includes('HttpOnly') && attrs.includes('SameSite=Lax') && attrs.includes('Secure'));
    const decoded = decodeURIComponent(value);
    assert.ok(decoded.startsWith('s:'));
    const dot = decoded.lastIndexOf('.');
    const mac = createHmac('sha256', SECRET).update(decoded.slice(2, dot)).digest('base64').replace(/=+$/, '');
    assert.equal(decoded.slice(dot + 1), mac);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
    // the access token works over WebSocket for that device
    const c = await server.client();
    assert.equal((await c.request('connect', { token: body.access_token, device_id: 'web1' })).success, true);
    await c.close();
  });

  it('renews tokens with the refresh cookie, rotating it, and refuses tampered or missing credentials', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const first = await post('/login', { organization_id: org, login: u.login, password: u.password, device_id: 'web' });
    const firstCookie = parseCookie(first.headers.get('set-cookie')).value;
    const firstAccess = ((await first.json()) as { access_token: string }).access_token;
    const renewed = await post('/login', { device_id: 'web' }, { cookie: `refresh_token=${firstCookie}` });
    assert.equal(renewed.status, 200);
    const renewedBody = (await renewed.json()) as { access_token: string };
    assert.notEqual(renewedBody.access_token, firstAccess);
    // the old refresh token was rotated out, and so was the old access token
    assert.equal((await post('/login', { device_id: 'web' }, { cookie: `refresh_token=${firstCookie}` })).status, 422);
    assert.equal((await post('/login', { device_id: 'web' }, { authorization: `Bearer ${firstAccess}` })).status, 422);
    // Bearer login with the current token works, for its own device only
    assert.equal((await post('/login', { device_id: 'web' }, { authorization: `Bearer ${renewedBody.access_token}` })).status, 200);
    const tampered = firstCookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    const t = await post('/login', { device_id: 'web' }, { cookie: `refresh_token=${tampered}` });
    assert.equal(t.status, 401);
    assert.equal(await t.text(), 'Missing authentication credentials.');
    assert.match(t.headers.get('content-type') ?? '', /^text\/plain/);
    const noDevice = await post('/login', { organization_id: org, login: u.login, password: u.password });
    assert.equal(noDevice.status, 422);
    assert.equal(await noDevice.text(), "'device_id' is required.");
    const bad = await post('/login', { organization_id: org, login: u.login, password: 'wrong', device_id: 'web' });
    assert.equal(bad.status, 401);
    assert.equal(await bad.text(), 'Incorrect username or password.');
  });

  it('logs out with Bearer and the same device cookie, revoking both and unbinding the socket', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const res = await post('/login', { organization_id: org, login: u.login, password: u.password, device_id: 'tab' });
    const cookie = parseCookie(res.headers.get('set-cookie')).value;
    const access = ((await res.json()) as { access_token: string }).access_token;
    const c = await server.client();
    assert.equal((await c.request('connect', { token: access, device_id: 'tab' })).success, true);
    await c.request('push_subscription_create', { platform: 'ios', device_udid: 'tab', device_token: 'aabbcc' });
    await c.request('push_subscription_create', { platform: 'ios', device_udid: 'other', device_token: 'ddeeff' });
    assert.equal((await post('/logout', {}, { cookie: `refresh_token=${cookie}` })).status, 401);
    const noCookie = await post('/logout', {}, { authorization: `Bearer ${access}` });
    assert.equal(noCookie.status, 422);
    assert.equal(await noCookie.text(), 'Incorrect token.');
    const out = await post('/logout', {}, { authorization: `Bearer ${access}`, cookie: `refresh_token=${cookie}` });
    assert.equal(out.status, 200);
    assert.deepEqual(await out.json(), { success: true });
    assert.ok(parseCookie(out.headers.get('set-cookie')).attrs.includes('Max-Age=0'));
    assert.deepEqual((await server.node.store.pushSubscriptions.forUser(org, u._id)).map((s) => s.device_udid), ['other'], 'the device\'s push subscription is gone');
    assert.deepEqual((await c.request('get_users_by_ids', { ids: [u._id] })).error, { status: 401, message: 'Unauthorized.' });
    assert.equal((await post('/login', { device_id: 'tab' }, { cookie: `refresh_token=${cookie}` })).status, 422);
    await c.close();
  });

  it('answers CORS preflight, unknown routes and the admin API the SAMA way', async () => {
    const pre = await fetch(`${server.httpUrl}/login`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    const missing = await fetch(`${server.httpUrl}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'Route not found');
    const noKey = await post('/admin/organization', { name: 'x' });
    assert.equal(noKey.status, 401);
    assert.equal(await noKey.text(), 'Unauthorized.');
    const health = await fetch(`${server.httpUrl}/health`);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });

  it('refuses every admin call when no admin key is configured', async () => {
    const s = await TestServer.start({ HTTP_ADMIN_API_KEY: '' });
    try {
      const r = await fetch(`${s.httpUrl}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': '' }, body: '{"name":"x"}' });
      assert.equal(r.status, 403);
      assert.match(await r.text(), /HTTP_ADMIN_API_KEY/);
    } finally {
      await s.stop();
    }
  });
});
