import webpush from 'web-push';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { httpFailure, perSubscription, type PushSender, type SendOutcome } from '../sender.js';
import { httpCall } from './http-request.js';

export interface WebPushOptions {
  /** VAPID key pair (base64url, as `web-push generate-vapid-keys` prints it) and contact. */
  readonly publicKey: string;
  readonly privateKey: string;
  /** A mailto: or https: URL the push service can reach the operator at. */
  readonly subject: string;
  /** How long the push service keeps an undelivered message, seconds. */
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly ca?: string;
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291). The
 * `web-push` package encrypts and signs; the request itself goes through httpCall so that
 * timeouts and answers are handled like the other senders'. 404 and 410 mean the browser
 * subscription is gone.
 */
export class WebPushSender implements PushSender {
  readonly name = 'web-push';
  readonly platforms = ['web'] as const;

  constructor(private readonly opts: WebPushOptions) {
    // Fails at start-up, not at the first push, when the keys or subject are malformed.
    webpush.generateRequestDetails({ endpoint: 'https://example.invalid/', keys: { p256dh: '', auth: '' } }, null, { vapidDetails: { subject: opts.subject, publicKey: opts.publicKey, privateKey: opts.privateKey } });
  }

  send(subs: readonly PushSubscriptionRecord[], payload: string): Promise<SendOutcome[]> {
    return perSubscription(subs, (s) => this.one(s, payload));
  }

  private async one(s: PushSubscriptionRecord, payload: string): Promise<SendOutcome> {
    if (s.web_endpoint === null || s.web_key_auth === null || s.web_key_p256dh === null) return { kind: 'gone', reason: 'subscription lacks endpoint or keys' };
    const details = webpush.generateRequestDetails({ endpoint: s.web_endpoint, keys: { p256dh: s.web_key_p256dh, auth: s.web_key_auth } }, payload, {
      vapidDetails: { subject: this.opts.subject, publicKey: this.opts.publicKey, privateKey: this.opts.privateKey },
      TTL: this.opts.ttlSeconds,
      contentEncoding: 'aes128gcm',
      urgency: 'high',
    });
    const res = await httpCall(details.endpoint, { method: details.method, headers: details.headers, body: details.body, timeoutMs: this.opts.timeoutMs, ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }) });
    if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
    if (res.status === 404 || res.status === 410) return { kind: 'gone', reason: `${res.status} from the push service` };
    const retryAfter = res.headers['retry-after'];
    return httpFailure(res.status, res.body.slice(0, 200), typeof retryAfter === 'string' ? retryAfter : undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
