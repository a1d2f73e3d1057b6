import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { httpFailure, perSubscription, type PushSender, type SendOutcome } from '../sender.js';

export interface ApnsOptions {
  /** The .p8 signing key (PKCS#8 PEM). */
  readonly keyPem: string;
  readonly keyId: string;
  readonly teamId: string;
  /** The app's bundle id. */
  readonly topic: string;
  /** https://api.push.apple.com, https://api.sandbox.push.apple.com, or a stand-in. */
  readonly origin: string;
  readonly timeoutMs: number;
  readonly ca?: string;
}

/** APNs origins by environment. */
export const APNS_ORIGINS = { production: 'https://api.push.apple.com', sandbox: 'https://api.sandbox.push.apple.com' } as const;

/** Provider tokens live an hour at Apple and must not be renewed more than every 20 minutes. */
const TOKEN_REUSE_MS = 40 * 60 * 1000;
/** Reasons that mean the device token will never work again. */
const GONE_REASONS = new Set(['Unregistered', 'BadDeviceToken', 'DeviceTokenNotForTopic']);

/**
 * The APNs alert for a payload of protocol.md §7.2: title and body become the alert, every other
 * field (cid, is_encrypted, …) travels beside `aps` for the app.
 */
export function apnsBody(payload: string): string {
  const { title, body, ...data } = JSON.parse(payload) as Record<string, unknown>;
  return JSON.stringify({ aps: { alert: { title: title ?? '', body: body ?? '' }, sound: 'default', 'mutable-content': 1 }, ...data });
}

/**
 * Apple Push Notification service over HTTP/2 with token authentication: an ES256 JWT (kid = key
 * id, iss = team id) reused for 40 minutes, one multiplexed connection re-opened when it fails.
 * 410, or 400 with reason BadDeviceToken / DeviceTokenNotForTopic, means the token is gone; a
 * rejected provider token is renewed and the push retried.
 */
export class ApnsSender implements PushSender {
  readonly name = 'apns';
  readonly platforms = ['ios'] as const;
  private session: ClientHttp2Session | undefined;
  private token: { jwt: Promise<string>; at: number } | undefined;
  private closed = false;

  private constructor(
    private readonly opts: ApnsOptions,
    private readonly key: CryptoKey,
  ) {}

  /** Parses the signing key; a bad key fails start-up. */
  static async create(opts: ApnsOptions): Promise<ApnsSender> {
    return new ApnsSender(opts, await importPKCS8(opts.keyPem, 'ES256'));
  }

  send(subs: readonly PushSubscriptionRecord[], payload: string): Promise<SendOutcome[]> {
    return perSubscription(subs, (s) => this.one(s, payload));
  }

  /** The current provider token; concurrent pushes share one signing. */
  private providerToken(): Promise<string> {
    const now = Date.now();
    if (this.token && now - this.token.at < TOKEN_REUSE_MS) return this.token.jwt;
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: this.opts.keyId }).setIssuer(this.opts.teamId).setIssuedAt(Math.floor(now / 1000)).sign(this.key);
    this.token = { jwt, at: now };
    return jwt;
  }

  private connection(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(this.opts.origin, this.opts.ca === undefined ? {} : { ca: this.opts.ca });
    // A failed or retiring connection is dropped; the next push opens a new one.
    const drop = (): void => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    session.unref();
    this.session = session;
    return session;
  }

  private async one(s: PushSubscriptionRecord, payload: string): Promise<SendOutcome> {
    if (this.closed) return { kind: 'retry', reason: 'sender closed' };
    if (s.device_token === null || !/^[0-9a-fA-F]{8,200}$/.test(s.device_token)) return { kind: 'gone', reason: 'not an APNs device token' };
    const jwt = await this.providerToken();
    const res = await this.post(s.device_token, jwt, apnsBody(payload));
    if (res.status === 200) return { kind: 'sent' };
    const reason = res.reason ?? '';
    if (res.status === 410 || (res.status === 400 && GONE_REASONS.has(reason))) return { kind: 'gone', reason: `${res.status} ${reason}` };
    if (res.status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken')) {
      this.token = undefined;
      return { kind: 'retry', reason: `403 ${reason}` };
    }
    return httpFailure(res.status, reason, res.retryAfter);
  }

  private post(deviceToken: string, jwt: string, body: string): Promise<{ status: number; reason?: string; retryAfter?: string }> {
    return new Promise((resolve, reject) => {
      const req = this.connection().request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: `/3/device/${deviceToken}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': this.opts.topic,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-expiration': String(Math.floor(Date.now() / 1000) + 24 * 3600),
        'content-type': 'application/json',
      });
      let status = 0;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      req.setTimeout(this.opts.timeoutMs, () => req.close(constants.NGHTTP2_CANCEL));
      req.on('response', (headers) => {
        status = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
        const ra = headers['retry-after'];
        retryAfter = typeof ra === 'string' ? ra : undefined;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('close', () => {
        if (status === 0) {
          reject(new Error(`APNs stream closed without an answer (code ${req.rstCode})`));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let reason: string | undefined;
        try {
          reason = text ? (JSON.parse(text) as { reason?: string }).reason : undefined;
        } catch {
          reason = text.slice(0, 100);
        }
        resolve({ status, ...(reason === undefined ? {} : { reason }), ...(retryAfter === undefined ? {} : { retryAfter }) });
      });
      req.end(body);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session || session.closed) return Promise.resolve();
    return new Promise((resolve) => session.close(() => resolve()));
  }
}
