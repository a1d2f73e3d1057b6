import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

/** Browser-like Web Push keys: a P-256 public key and a 16-byte auth secret, base64url. */
function webKeys(): { web_key_p256dh: string; web_key_auth: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { web_key_p256dh: ecdh.getPublicKey().toString('base64url'), web_key_auth: randomBytes(16).toString('base64url') };
}

describe('push subscriptions and events', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('creates, replaces per device, lists own only, and deletes', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a, 'dev-a');
    const cb = await server.loggedIn(b, 'dev-b');
    const keys = webKeys();
    const web = await ca.request('push_subscription_create', { platform: 'web', web_endpoint: 'https://push.example/abc', ...keys, device_udid: 'dev-a' });
    const s = web.subscription;
    assert.deepEqual(Object.keys(s), ['_id', 'organization_id', 'user_id', 'platform', 'web_endpoint', 'web_key_auth', 'web_key_p256dh', 'device_udid', 'created_at', 'updated_at']);
    assert.equal(s.user_id, a._id);
    assert.equal(s.organization_id, org);
    assert.match(s.created_at, /^\d{4}-\d\d-\d\dT.*Z$/);
    const ios = await ca.request('push_subscription_create', { platform: 'ios', device_token: 'apns-token-1', device_udid: 'dev-a' });
    assert.equal(ios.subscription._id, s._id, 'the same device keeps its record');
    assert.equal(ios.subscription.web_endpoint, undefined);
    assert.equal(ios.subscription.device_token, 'apns-token-1');
    await ca.request('push_subscription_create', { platform: 'android', device_token: 'fcm-token-1', device_udid: 7 });
    await cb.request('push_subscription_create', { platform: 'android', device_token: 'fcm-token-b', device_udid: 'dev-b' });
    const list = await ca.request('push_subscription_list', { user_id: b._id });
    assert.deepEqual(list.subscriptions.map((x: any) => [x.device_udid, x.platform]), [['dev-a', 'ios'], ['7', 'android']]);
    assert.deepEqual((await ca.request('push_subscription_delete', { device_udid: 7 })).success, true);
    assert.deepEqual((await ca.request('push_subscription_delete', { device_udid: '7' })).error, { status: 422, message: 'Push notification record not found.' });
    assert.equal((await cb.request('push_subscription_list', { user_id: 'x' })).subscriptions.length, 1);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('answers SAMA\'s errors for bad subscriptions', async () => {
    const org = await server.createOrg();
    const c = await server.loggedIn(await server.createUser(org));
    const keys = webKeys();
    const err = async (body: Record<string, unknown>) => (await c.request('push_subscription_create', body)).error;
    assert.deepEqual(await err({ platform: 'fax', device_token: 't', device_udid: 'd' }), { status: 422, message: 'Incorrect platform type.' });
    assert.deepEqual(await err({ platform: 'ios', device_token: 't' }), { status: 422, message: 'Incorrect device id.' });
    assert.deepEqual(await err({ platform: 'ios', device_udid: 'd' }), { status: 422, message: 'Incorrect token.' });
    assert.deepEqual(await err({ platform: 'web', web_endpoint: 'https://push.example/1', device_udid: 'd' }), { status: 422, message: 'Incorrect keys.' });
    assert.deepEqual(await err({ platform: 'web', web_endpoint: 'https://push.example/1', web_key_auth: 'short', web_key_p256dh: keys.web_key_p256dh, device_udid: 'd' }), { status: 422, message: 'Incorrect keys.' });
    assert.deepEqual(await err({ platform: 'web', web_endpoint: 'http://10.0.0.1/internal', ...keys, device_udid: 'd' }), { status: 422, message: 'Incorrect token.' });
    assert.deepEqual(await err({ platform: 'web', device_token: 't', device_udid: 'd' }), { status: 422, message: 'Incorrect token.' });
    assert.deepEqual(await err({ platform: 'ios', device_token: 't', web_endpoint: 'https://push.example/1', ...keys, device_udid: 'd' }), { status: 422, message: 'Incorrect token.' });
    assert.deepEqual((await c.request('push_subscription_list', {})).error, { status: 422, message: 'User ID missed.' });
    assert.deepEqual((await c.request('push_subscription_delete', {})).error, { status: 422, message: "'device_id' is required." });
    await c.close();
  });

  it('removes the device\'s subscription on user_logout and all of them on user_delete', async () => {
    const org = await server.createOrg();
    const u = await server.createUser(org);
    const c1 = await server.loggedIn(u, 'one');
    const c2 = await server.loggedIn(u, 'two');
    await c1.request('push_subscription_create', { platform: 'ios', device_token: 't1', device_udid: 'one' });
    await c2.request('push_subscription_create', { platform: 'ios', device_token: 't2', device_udid: 'two' });
    assert.equal((await c1.request('user_logout', {})).success, true);
    assert.deepEqual((await server.node.store.pushSubscriptions.forUser(org, u._id)).map((s) => s.device_udid), ['two']);
    await c2.request('push_subscription_create', { platform: 'ios', device_token: 't3', device_udid: 'three' });
    assert.equal((await c2.request('user_delete', {})).success, true);
    assert.deepEqual(await server.node.store.pushSubscriptions.forUser(org, u._id), []);
    await Promise.all([c1.close(), c2.close()]);
  });

  it('push_event_create queues one outbox row per recipient of the organization, online or not', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const foreign = await server.createUser(await server.createOrg());
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    await cb.request('block_user', { ids: [a._id] });
    const cc = await server.loggedIn(c);
    const message = { title: 'Hi', body: 'there', topic: 'news' };
    const r = await ca.request('push_event_create', { recipients_ids: [c._id, foreign._id, b._id, c._id], message });
    assert.deepEqual(Object.keys(r.event), ['_id', 'user_id', 'user_ids', 'message', 'created_at', 'updated_at']);
    assert.equal(r.event.user_id, a._id);
    assert.deepEqual(r.event.user_ids, [c._id]);
    assert.deepEqual(JSON.parse(Buffer.from(r.event.message, 'base64').toString()), message);
    const rows = (await server.node.store.pushOutbox.pending(10_000, Date.now())).filter((p) => p.organization_id === org);
    assert.deepEqual(rows.map((p) => [p.user_id, JSON.parse(p.payload)]), [[c._id, message]]);
    assert.deepEqual((await ca.request('push_event_create', { recipients_ids: [foreign._id], message })).error, { status: 422, message: 'Recipients not found.' });
    assert.deepEqual((await ca.request('push_event_create', { recipients_ids: [], message })).error, { status: 422, message: 'Incorrect recipients IDs.' });
    assert.deepEqual((await ca.request('push_event_create', { recipients_ids: [b._id] })).error, { status: 422, message: 'Notification message missed.' });
    assert.deepEqual((await ca.request('push_event_create', { recipients_ids: [b._id], message: { title: 5 } })).error, { status: 422, message: 'Notification message missed.' });
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });
});
