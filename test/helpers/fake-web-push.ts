import { createDecipheriv, createECDH, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { importJWK, jwtVerify, type JWTPayload } from 'jose';
import type { TestCert } from './tls.js';

/** A push a fake service accepted, decrypted. */
export interface ReceivedPush {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly payload: string;
  readonly claims: JWTPayload;
}

/** A browser subscription: what the client registers, and the keys to read pushes with. */
interface FakeBrowser {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
}

/** RFC 8291 (aes128gcm) decryption of one Web Push message body, as a browser does it. */
export function decryptAes128gcm(body: Buffer, browser: FakeBrowser): string {
  const salt = body.subarray(0, 16);
  const idLen = body[20] ?? 0;
  const senderKey = body.subarray(21, 21 + idLen);
  const cipher = body.subarray(21 + idLen);
  const shared = browser.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browser.ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, browser.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(cipher.subarray(cipher.length - 16));
  const padded = Buffer.concat([decipher.update(cipher.subarray(0, cipher.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding.
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('missing last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * A Web Push service on https://127.0.0.1 that checks each request as a real one would: a VAPID
 * `Authorization: vapid t=<jwt>, k=<key>` whose JWT verifies with the expected public key and
 * names this origin as audience, aes128gcm encoding, a TTL. It decrypts every accepted body with
 * the subscription's private key. Statuses to answer can be queued (default 201).
 */
export class FakeWebPush {
  readonly received: ReceivedPush[] = [];
  readonly problems: string[] = [];
  /** Statuses for the next requests, first used first; 201 when empty. */
  readonly replies: number[] = [];
  private readonly browsers = new Map<string, FakeBrowser>();
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly vapidPublicKey: string,
  ) {}

  static async start(cert: TestCert, vapidPublicKey: string): Promise<FakeWebPush> {
    const ref: { fake?: FakeWebPush } = {};
    const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        ref.fake!.handle(req.url ?? '', req.headers, Buffer.concat(chunks)).then(
          (status) => res.writeHead(status).end(),
          (err: unknown) => {
            ref.fake!.problems.push(String(err));
            res.writeHead(400).end();
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    ref.fake = new FakeWebPush(server, `https://127.0.0.1:${port}`, vapidPublicKey);
    return ref.fake;
  }

  /** A new browser subscription: the fields push_subscription_create takes. */
  subscribe(): { web_endpoint: string; web_key_p256dh: string; web_key_auth: string } {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const path = `/push/${randomBytes(8).toString('hex')}`;
    this.browsers.set(path, { ecdh, auth });
    return { web_endpoint: `${this.origin}${path}`, web_key_p256dh: ecdh.getPublicKey().toString('base64url'), web_key_auth: auth.toString('base64url') };
  }

  private async handle(path: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<number> {
    const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(headers.authorization));
    if (!m?.[1] || !m[2]) throw new Error(`bad authorization header: ${String(headers.authorization)}`);
    if (m[2] !== this.vapidPublicKey) throw new Error('VAPID key is not the configured one');
    const raw = Buffer.from(m[2], 'base64url');
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') }, 'ES256');
    const { payload: claims } = await jwtVerify(m[1], key, { audience: this.origin, algorithms: ['ES256'] });
    if (headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${String(headers['content-encoding'])}`);
    if (headers.ttl === undefined) throw new Error('no TTL header');
    const browser = this.browsers.get(path);
    if (!browser) return 404;
    const status = this.replies.shift() ?? 201;
    if (status < 300) {
      this.received.push({ path, headers, payload: decryptAes128gcm(body, browser), claims });
      for (const w of this.waiters.splice(0)) w();
    }
    return status;
  }

  /** Resolves once `n` pushes were accepted; rejects after `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 5000): Promise<ReceivedPush[]> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < n) {
      const left = until - Date.now();
      if (left <= 0) throw new Error(`expected ${n} pushes, got ${this.received.length}; problems: ${this.problems.join('; ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
