import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeApns } from '../helpers/fake-apns.js';
import { TestServer } from '../helpers/server.js';
import { opensslUnavailable, selfSignedCert, type TestCert } from '../helpers/tls.js';

const skip = opensslUnavailable();
if (skip) console.log(`# skipping APNs delivery tests: ${skip}`);

/** The whole path for iOS: subscription packet, message, outbox, worker, APNs over HTTP/2. */
describe('APNs delivery through a running server', { skip: skip ?? false }, () => {
  let cert: TestCert;
  let fake: Awaited<ReturnType<typeof fakeApns>>;
  let server: TestServer;
  let dir: string;
  before(async () => {
    cert = selfSignedCert();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fake = await fakeApns(cert, publicKey, new Map());
    dir = mkdtempSync(join(tmpdir(), 'parley-apns-'));
    const keyFile = join(dir, 'AuthKey.p8');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    server = await TestServer.start({
      APNS_KEY_FILE: keyFile,
      APNS_KEY_ID: 'KEY1234567',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_TOPIC: 'com.example.chat',
      APNS_URL: fake.origin,
      PUSH_CA_FILE: cert.caFile,
      PUSH_POLL_INTERVAL_MS: '20',
    });
  });
  after(async () => {
    await server.stop();
    fake.server.close();
    cert.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes a message to an offline iOS device with the SAMA payload as an APNs alert', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const token = 'ab12'.repeat(16);
    const cb = await server.loggedIn(b, 'iphone');
    assert.equal((await cb.request('push_subscription_create', { platform: 'ios', device_udid: 'iphone', device_token: token })).subscription.device_token, token);
    await cb.close();
    const ca = await server.loggedIn(a);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    assert.ok((await ca.request('message', { id: 'm1', cid, body: 'to the phone' })).ask);
    const until = Date.now() + 5000;
    while (fake.seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fake.problems, []);
    assert.equal(fake.seen.length, 1);
    const [push] = fake.seen;
    assert.equal(push!.headers[':path'], `/3/device/${token}`);
    assert.equal(push!.headers['apns-topic'], 'com.example.chat');
    assert.deepEqual(push!.body, { aps: { alert: { title: a.login, body: 'to the phone' }, sound: 'default', 'mutable-content': 1 }, is_encrypted: false, firstAttachmentUrl: null, cid });
    await ca.close();
  });
});
