import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { newId } from '../../src/protocol/ids.js';

export interface FakeFcm {
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
export async function fakeFcm(publicKey: KeyObject): Promise<FakeFcm> {
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

