import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fakeApns } from '../../../test/helpers/fake-apns.js';
import { opensslUnavailable, selfSignedCert, type TestCert } from '../../../test/helpers/tls.js';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { ApnsSender } from './apns.js';

const skip = opensslUnavailable();
if (skip) console.log(`# skipping APNs sender tests: ${skip}`);

function iosSub(token: string): PushSubscriptionRecord {
  return { _id: newId(), organization_id: newId(), user_id: newId(), platform: 'ios', device_udid: 'phone', web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: token, created_at: 1, updated_at: 1 };
}

describe('APNs sender', { skip: skip ?? false }, () => {
  let cert: TestCert;
  let fake: Awaited<ReturnType<typeof fakeApns>>;
  let sender: ApnsSender;
  const answers = new Map<string, { status: number; reason?: string } | 'hang'>();
  before(async () => {
    cert = selfSignedCert();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fake = await fakeApns(cert, publicKey, answers);
    sender = await ApnsSender.create({ keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyId: 'KEY1234567', teamId: 'TEAM123456', topic: 'com.example.chat', origin: fake.origin, timeoutMs: 300, ca: cert.cert });
  });
  after(async () => {
    await sender.close();
    fake.server.close();
    cert.remove();
  });

  it('posts an alert to /3/device/<token> with topic, push type and a verifiable provider token', async () => {
    const payload = JSON.stringify({ title: 'alice', is_encrypted: false, body: 'hey', firstAttachmentUrl: null, cid: 'c1' });
    assert.deepEqual(await sender.send([iosSub('aa11'.repeat(16)), iosSub('bb22'.repeat(16))], payload), [{ kind: 'sent' }, { kind: 'sent' }]);
    assert.deepEqual(fake.problems, []);
    const first = fake.seen.find((s) => s.headers[':path'] === `/3/device/${'aa11'.repeat(16)}`);
    assert.ok(first);
    assert.equal(first.headers[':method'], 'POST');
    assert.equal(first.headers['apns-topic'], 'com.example.chat');
    assert.equal(first.headers['apns-push-type'], 'alert');
    assert.equal(first.headers['apns-priority'], '10');
    assert.deepEqual(first.body, { aps: { alert: { title: 'alice', body: 'hey' }, sound: 'default', 'mutable-content': 1 }, is_encrypted: false, firstAttachmentUrl: null, cid: 'c1' });
    assert.equal(new Set(fake.seen.map((s) => s.jwt)).size, 1, 'one provider token for both pushes');
  });

  it('reports gone tokens, retries server errors and timeouts, and fails on other rejections', async () => {
    const [gone, bad, busy, slow, wrong] = ['01', '02', '03', '04', '05'].map((p) => p.repeat(32));
    answers.set(gone!, { status: 410, reason: 'Unregistered' });
    answers.set(bad!, { status: 400, reason: 'BadDeviceToken' });
    answers.set(busy!, { status: 503, reason: 'ServiceUnavailable' });
    answers.set(slow!, 'hang');
    answers.set(wrong!, { status: 400, reason: 'PayloadTooLarge' });
    const out = await sender.send([gone, bad, busy, slow, wrong, 'not/hex'].map((t) => iosSub(t!)), JSON.stringify({ title: 't', body: 'b' }));
    assert.deepEqual(out.map((o) => o.kind), ['gone', 'gone', 'retry', 'retry', 'failed', 'gone']);
    assert.equal(fake.seen.some((s) => String(s.headers[':path']).includes('not')), false, 'a malformed token never reaches APNs');
  });
});
