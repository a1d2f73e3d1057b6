import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { FcmSender, parseServiceAccount } from './fcm.js';

interface FakeFcm {
  server: Server;
  origin: string;
  tokenRequests: number;
  sends: { token: string; body: any }[];
  problems: string[];
  /** Status and error code answered per device token (200 by default). */
  answers: Map<string, { status: number; errorCode?: string }>;
  /** Access tokens the fake issued and still accepts. */
  valid: Set<string>;
}

/**
 * A stand-in for Google's token endpoint and the FCM v1 API: the token endpoint verifies the
 * JWT-bearer assertion with the service account's public key; the send endpoint accepts only
 * tokens it issued.
 */
async function fakeFcm(publicKey: KeyObject): Promise<FakeFcm> {
  const fake = { tokenRequests: 0, sends: [], problems: [], answers: new Map(), valid: new Set() } as unknown as FakeFcm;
  fake.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString();
        if (req.url === '/token') {
          fake.tokenRequests += 1;
          const form = new URLSearchParams(text);
          try {
            assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
            assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
            const assertion = form.get('assertion') ?? '';
            const { payload } = await jwtVerify(assertion, publicKey, { issuer: 'push@proj-1.iam.gserviceaccount.com', audience: `${fake.origin}/token`, algorithms: ['RS256'] });
            assert.equal(payload.scope, 'https://www.googleapis.com/auth/firebase.messaging');
            assert.equal(decodeProtectedHeader(assertion).kid, 'key-1');
          } catch (err) {
            fake.problems.push(String(err));
            res.writeHead(400).end('{"error":"invalid_grant"}');
            return;
          }
          const token = `ya29.${randomBytes(8).toString('hex')}`;
          fake.valid.add(token);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }));
          return;
        }
        const bearer = String(req.headers.authorization).replace(/^Bearer /, '');
        if (req.url !== '/v1/projects/proj-1/messages:send' || !fake.valid.has(bearer)) {
          res.writeHead(401).end('{"error":{"code":401,"status":"UNAUTHENTICATED"}}');
          return;
        }
        const body = JSON.parse(text);
        fake.sends.push({ token: bearer, body });
        const answer = fake.answers.get(body.message.token) ?? { status: 200 };
        if (answer.status === 200) res.writeHead(200).end(JSON.stringify({ name: `projects/proj-1/messages/${newId()}` }));
        else res.writeHead(answer.status).end(JSON.stringify({ error: { code: answer.status, status: 'X', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: answer.errorCode }] } }));
      })();
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const address = fake.server.address();
  fake.origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return fake;
}

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
