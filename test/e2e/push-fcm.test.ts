import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeFcm, type FakeFcm } from '../helpers/fake-fcm.js';
import { TestServer } from '../helpers/server.js';

/** The whole path for Android: subscription packet, message, outbox, worker, OAuth, FCM v1. */
describe('FCM delivery through a running server', () => {
  let fake: FakeFcm;
  let server: TestServer;
  let dir: string;
  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake = await fakeFcm(publicKey);
    dir = mkdtempSync(join(tmpdir(), 'parley-fcm-'));
    const accountFile = join(dir, 'service-account.json');
    writeFileSync(accountFile, JSON.stringify({ type: 'service_account', project_id: 'proj-1', private_key_id: 'key-1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: 'push@proj-1.iam.gserviceaccount.com', token_uri: `${fake.origin}/token` }));
    server = await TestServer.start({ FCM_SERVICE_ACCOUNT_FILE: accountFile, FCM_URL: fake.origin, PUSH_POLL_INTERVAL_MS: '20' });
  });
  after(async () => {
    await server.stop();
    fake.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes a group message to an offline Android device as an FCM notification', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cb = await server.loggedIn(b, 'pixel');
    assert.ok((await cb.request('push_subscription_create', { platform: 'android', device_udid: 'pixel', device_token: 'fcm-tok-b' })).subscription);
    await cb.close();
    const ca = await server.loggedIn(a);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'crew', participants: [b._id] })).conversation._id as string;
    assert.ok((await ca.request('message', { id: 'm1', cid, body: 'to android' })).ask);
    const until = Date.now() + 5000;
    const mine = () => fake.sends.filter((s) => s.body.message.notification?.body === 'to android');
    while (mine().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fake.problems, []);
    assert.deepEqual(mine().map((s) => s.body), [{ message: { token: 'fcm-tok-b', notification: { title: `${a.login} | crew`, body: 'to android' }, data: { is_encrypted: 'false', cid }, android: { priority: 'HIGH' } } }]);
    // the group's creation was pushed too, before the message
    assert.ok(fake.sends.some((s) => /created a new conversation$/.test(s.body.message.notification?.body ?? '')));
    await ca.close();
  });
});
