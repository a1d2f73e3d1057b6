import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { httpFailure, perSubscription, type PushSender, type SendOutcome } from '../sender.js';
import { httpCall } from './http-request.js';

/** The fields of a Google service-account JSON file that FCM needs. */
export interface ServiceAccount {
  readonly project_id?: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly client_email: string;
  readonly token_uri?: string;
}

export interface FcmOptions {
  readonly account: ServiceAccount;
  readonly projectId: string;
  /** OAuth2 token endpoint (the JWT audience). */
  readonly tokenUrl: string;
  /** https://fcm.googleapis.com or a stand-in. */
  readonly apiOrigin: string;
  readonly timeoutMs: number;
  readonly ca?: string;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** Renew the access token this long before Google says it expires. */
const EARLY_RENEWAL_MS = 5 * 60 * 1000;

/** Parses and checks a service-account JSON text; throws naming what is missing. */
export function parseServiceAccount(text: string): ServiceAccount {
  const v = JSON.parse(text) as Partial<ServiceAccount>;
  if (typeof v.private_key !== 'string' || typeof v.client_email !== 'string') throw new Error('service account JSON needs private_key and client_email');
  return v as ServiceAccount;
}

/**
 * The FCM message for a payload of protocol.md §7.2: title and body become the notification;
 * the other fields go in `data` as strings (FCM's rule), nulls left out.
 */
export function fcmMessage(token: string, payload: string): Record<string, unknown> {
  const { title, body, ...rest } = JSON.parse(payload) as Record<string, unknown>;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== null && v !== undefined) data[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { message: { token, notification: { title: text(title), body: text(body) }, data, android: { priority: 'HIGH' } } };
}

/**
 * Firebase Cloud Messaging HTTP v1. Authenticates with the service account: an RS256 JWT
 * assertion exchanged at the token endpoint (OAuth2 JWT-bearer grant) for an access token, shared
 * by concurrent sends and renewed before it expires or when FCM answers 401. 404 (UNREGISTERED)
 * and 403 SENDER_ID_MISMATCH mean the device token is gone.
 */
export class FcmSender implements PushSender {
  readonly name = 'fcm';
  readonly platforms = ['android'] as const;
  private access: { token: Promise<string>; expiresAt: number } | undefined;

  private constructor(
    private readonly opts: FcmOptions,
    private readonly key: CryptoKey,
  ) {}

  /** Parses the service account's key; a bad key fails start-up. */
  static async create(opts: FcmOptions): Promise<FcmSender> {
    return new FcmSender(opts, await importPKCS8(opts.account.private_key, 'RS256'));
  }

  send(subs: readonly PushSubscriptionRecord[], payload: string): Promise<SendOutcome[]> {
    return perSubscription(subs, (s) => this.one(s, payload));
  }

  private accessToken(): Promise<string> {
    if (this.access && Date.now() < this.access.expiresAt) return this.access.token;
    const entry = { token: this.fetchToken(), expiresAt: Date.now() + 60_000 };
    entry.token.then(
      () => undefined,
      () => {
        if (this.access === entry) this.access = undefined;
      },
    );
    this.access = entry;
    return entry.token;
  }

  private async fetchToken(): Promise<string> {
    const { account, tokenUrl } = this.opts;
    const header = { alg: 'RS256', typ: 'JWT', ...(account.private_key_id === undefined ? {} : { kid: account.private_key_id }) };
    const assertion = await new SignJWT({ scope: SCOPE }).setProtectedHeader(header).setIssuer(account.client_email).setAudience(tokenUrl).setIssuedAt().setExpirationTime('1h').sign(this.key);
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    const res = await httpCall(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) }, body: form, timeoutMs: this.opts.timeoutMs, ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }) });
    if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.body.slice(0, 200)}`);
    const body = JSON.parse(res.body) as { access_token?: string; expires_in?: number };
    if (typeof body.access_token !== 'string') throw new Error('token endpoint gave no access_token');
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    if (this.access) this.access.expiresAt = Date.now() + Math.max(0, lifetimeMs - EARLY_RENEWAL_MS);
    return body.access_token;
  }

  private async one(s: PushSubscriptionRecord, payload: string): Promise<SendOutcome> {
    if (s.device_token === null) return { kind: 'gone', reason: 'subscription lacks a device token' };
    const token = await this.accessToken();
    const body = JSON.stringify(fcmMessage(s.device_token, payload));
    const url = `${this.opts.apiOrigin}/v1/projects/${encodeURIComponent(this.opts.projectId)}/messages:send`;
    const res = await httpCall(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body, timeoutMs: this.opts.timeoutMs, ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }) });
    if (res.status === 200) return { kind: 'sent' };
    const code = errorCode(res.body);
    if (res.status === 404 || code === 'UNREGISTERED' || code === 'SENDER_ID_MISMATCH') return { kind: 'gone', reason: `${res.status} ${code ?? ''}`.trim() };
    if (res.status === 401) {
      this.access = undefined;
      return { kind: 'retry', reason: '401 access token refused' };
    }
    const retryAfter = res.headers['retry-after'];
    return httpFailure(res.status, code ?? res.body.slice(0, 200), typeof retryAfter === 'string' ? retryAfter : undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** FCM's errorCode from an error body (`error.details[].errorCode`), else `error.status`. */
function errorCode(text: string): string | undefined {
  try {
    const e = (JSON.parse(text) as { error?: { status?: string; details?: { errorCode?: string }[] } }).error;
    return e?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode ?? e?.status;
  } catch {
    return undefined;
  }
}
