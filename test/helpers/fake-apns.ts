import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from 'node:http2';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { newId } from '../../src/protocol/ids.js';
import type { TestCert } from './tls.js';

export interface Seen {
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
  jwt: string;
}

/**
 * A stand-in for api.push.apple.com: HTTP/2 over TLS, checks the provider token with the team's
 * public key, and answers with the status and reason queued per device token (200 by default).
 */
export async function fakeApns(cert: TestCert, publicKey: KeyObject, answers: Map<string, { status: number; reason?: string } | 'hang'>): Promise<{ server: Http2SecureServer; origin: string; seen: Seen[]; problems: string[] }> {
  const seen: Seen[] = [];
  const problems: string[] = [];
  const server = createSecureServer({ key: cert.key, cert: cert.cert });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      void (async () => {
        const jwt = String(headers.authorization).replace(/^bearer /, '');
        try {
          const { payload } = await jwtVerify(jwt, publicKey, { issuer: 'TEAM123456', algorithms: ['ES256'] });
          assert.equal(decodeProtectedHeader(jwt).kid, 'KEY1234567');
          assert.equal(typeof payload.iat, 'number');
        } catch (err) {
          problems.push(String(err));
          stream.respond({ ':status': 403 });
          stream.end(JSON.stringify({ reason: 'InvalidProviderToken' }));
          return;
        }
        seen.push({ headers, body: JSON.parse(Buffer.concat(chunks).toString()), jwt });
        const token = String(headers[':path']).split('/').pop() ?? '';
        const answer = answers.get(token) ?? { status: 200 };
        if (answer === 'hang') return;
        stream.respond({ ':status': answer.status, 'apns-id': newId() });
        stream.end(answer.reason ? JSON.stringify({ reason: answer.reason }) : undefined);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, origin: `https://127.0.0.1:${port}`, seen, problems };
}

