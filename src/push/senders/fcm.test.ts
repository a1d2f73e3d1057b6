import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fakeFcm, type FakeFcm } from '../../../test/helpers/fake-fcm.js';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { FcmSender, parseServiceAccount } from './fcm.js';

function androidSub(token: string): PushSubscriptionRecord {
  return { _id: newId(), organization_id: newId(), user_id: newId(), platform: 'android', device_udid: 'phone', web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: token, created_at: 1, updated_at: 1 };
}

describe('FCM sender', () => {
  let fake: FakeFcm;
  let sender: FcmSender;
  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake = await fakeFcm(publicKey);
    const json = JSON.stringify({ type: 'service_account', project_id: 'proj-1', private_key_id: 'key-1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: 'push@proj-1.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' });
    const account = parseServiceAccount(json);
    sender = await FcmSender.create({ account, projectId: account.project_id ?? '', tokenUrl: `${fake.origin}/token`, apiOrigin: fake.origin, timeoutMs: 2000 });
  });
  after(async () => {
    await sender.close();
    fake.server.close();
  });

  it('exchanges one signed assertion for an access token and sends notification and string data', async () => {
    const payload = JSON.stringify({ title: 'bob | team', is_encrypted: false, body: 'hi', firstAttachmentUrl: null, cid: 'c9' });
    assert.deepEqual(await sender.send([androidSub('tok-1'), androidSub('tok-2')], payload), [{ kind: 'sent' }, { kind: 'sent' }]);
    assert.deepEqual(fake.problems, []);
    assert.equal(fake.tokenRequests, 1);
    const sent = fake.sends.find((s) => s.body.message.token === 'tok-1');
    assert.deepEqual(sent?.body, { message: { token: 'tok-1', notification: { title: 'bob | team', body: 'hi' }, data: { is_encrypted: 'false', cid: 'c9' }, android: { priority: 'HIGH' } } });
  });

  it('reports unregistered tokens gone, retries 5xx, and renews a refused access token', async () => {
    fake.answers.set('gone', { status: 404, errorCode: 'UNREGISTERED' });
    fake.answers.set('busy', { status: 503, errorCode: 'UNAVAILABLE' });
    fake.answers.set('bad', { status: 400, errorCode: 'INVALID_ARGUMENT' });
    const out = await sender.send(['gone', 'busy', 'bad', 'ok'].map(androidSub), JSON.stringify({ title: 't', body: 'b' }));
    assert.deepEqual(out.map((o) => o.kind), ['gone', 'retry', 'failed', 'sent']);
    const before = fake.tokenRequests;
    fake.valid.clear();
    assert.deepEqual((await sender.send([androidSub('ok')], '{"title":"x"}')).map((o) => o.kind), ['retry']);
    assert.deepEqual((await sender.send([androidSub('ok')], '{"title":"x"}')).map((o) => o.kind), ['sent']);
    assert.equal(fake.tokenRequests, before + 1);
  });
});
