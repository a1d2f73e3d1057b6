import type { PushPlatform, PushSubscriptionRecord } from '../store/store.js';

/**
 * The push port. A sender delivers one payload to subscriptions of the platforms it serves; the
 * push worker (worker.ts) decides what happens to the outbox row from the outcomes. Only main.ts
 * imports the implementations in senders/.
 */

/** What a push service answered for one subscription. */
export type SendOutcome =
  /** Accepted by the push service. */
  | { readonly kind: 'sent' }
  /** The service says the subscription no longer exists: delete it, never retry. */
  | { readonly kind: 'gone'; readonly reason: string }
  /** A transient failure (5xx, 429, timeout, network): try again later. */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /** A permanent failure for this push (bad request, bad credentials): not retried. */
  | { readonly kind: 'failed'; readonly reason: string };

/** One way of delivering pushes (Web Push, APNs, FCM, SAMA's push daemon queue). */
export interface PushSender {
  /** For logs. */
  readonly name: string;
  /** Platforms this sender delivers to; the worker hands it only subscriptions of these. */
  readonly platforms: readonly PushPlatform[];
  /**
   * Delivers `payload` (JSON text, protocol.md §7.2) to every subscription given (all of one
   * recipient) and returns one outcome per subscription, in the same order. Delivery failures
   * are outcomes; the promise rejects only on a programming error.
   */
  send(subs: readonly PushSubscriptionRecord[], payload: string): Promise<SendOutcome[]>;
  /** Releases connections; no send is made after it resolves. */
  close(): Promise<void>;
}

/**
 * Runs `one` for every subscription concurrently; a thrown error (network failure, timeout)
 * becomes a `retry` outcome for that subscription.
 */
export function perSubscription(subs: readonly PushSubscriptionRecord[], one: (s: PushSubscriptionRecord) => Promise<SendOutcome>): Promise<SendOutcome[]> {
  return Promise.all(subs.map((s) => one(s).catch((err: unknown): SendOutcome => ({ kind: 'retry', reason: err instanceof Error ? err.message : String(err) }))));
}

/**
 * Outcome of an HTTP answer that is neither success nor "gone": 429 and 5xx are transient
 * (honouring Retry-After, in seconds or as a date), everything else is permanent.
 */
export function httpFailure(status: number, reason: string, retryAfter?: string): SendOutcome {
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return retryAfterMs === undefined ? { kind: 'retry', reason: `${status} ${reason}` } : { kind: 'retry', reason: `${status} ${reason}`, retryAfterMs };
  }
  return { kind: 'failed', reason: `${status} ${reason}` };
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
