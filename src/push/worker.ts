import type { Logger } from 'pino';
import type { PendingPush, PushOutboxStore, PushPlatform, PushSubscriptionRecord, PushSubscriptionStore } from '../store/store.js';
import type { PushSender, SendOutcome } from './sender.js';

export interface PushWorkerOptions {
  /** Rows leased per round. */
  readonly batchSize: number;
  /** Pause between rounds when the last one found less than a full batch. */
  readonly pollIntervalMs: number;
  /** A claimed row stays leased this long; must outlast one row's sends (see main.ts). */
  readonly leaseMs: number;
  /** Tries before a push is given up (logged, removed). */
  readonly maxAttempts: number;
  /** First retry delay; doubles per failed try, capped at retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** Counts outcomes: `platform` is web/ios/android (or "none"), `result` one of PushResult. */
export type PushResult = 'sent' | 'gone' | 'failed' | 'retry' | 'gave_up' | 'no_subscription' | 'unconfigured';
export type PushCounter = (platform: PushPlatform | 'none', result: PushResult) => void;

/**
 * Drains the durable push outbox. Each round leases due rows (PushOutboxStore.claim), looks up
 * each recipient's subscriptions, and hands them to the sender of their platform.
 *
 * What happens to a row:
 * - no subscriptions: removed (counted as no_subscription);
 * - every subscription sent, gone (the subscription is deleted) or failed permanently: removed;
 * - some transient failure: retried after an exponential back-off (with jitter, at least the
 *   service's Retry-After) — only to the subscriptions not yet reached, which the row records —
 *   until `maxAttempts` tries, then removed and logged as given up;
 * - subscriptions of a platform no sender serves are skipped (counted as unconfigured).
 *
 * Delivery guarantee: a push reaches each subscription at least once unless given up, and at
 * most once except for a crash (or a stop that outlasts the shutdown grace) between a send and
 * the row update that follows it: such a row is still leased, is claimed again when its lease
 * ends, and the subscriptions of that one try are sent to again. No other row is ever re-sent.
 * The message path never waits for this worker: it only writes outbox rows.
 */
export class PushWorker {
  private readonly byPlatform = new Map<PushPlatform, PushSender>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly outbox: PushOutboxStore,
    private readonly subscriptions: PushSubscriptionStore,
    private readonly senders: readonly PushSender[],
    private readonly opts: PushWorkerOptions,
    private readonly count: PushCounter,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    for (const s of senders) {
      for (const p of s.platforms) {
        const other = this.byPlatform.get(p);
        if (other) throw new Error(`push senders ${other.name} and ${s.name} both serve platform ${p}`);
        this.byPlatform.set(p, s);
      }
    }
  }

  /** Starts polling; the first round runs at once. */
  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runOnce().then(
        (n) => this.schedule(n >= this.opts.batchSize ? 0 : this.opts.pollIntervalMs),
        (err: unknown) => {
          this.log.error({ err }, 'push round failed');
          this.schedule(this.opts.pollIntervalMs);
        },
      );
    }, delayMs);
  }

  /** Leases and processes one batch; resolves with the number of rows taken. */
  async runOnce(): Promise<number> {
    const now = this.clock();
    const rows = await this.outbox.claim(this.opts.batchSize, now, now + this.opts.leaseMs);
    await Promise.all(rows.map((row) => this.process(row).catch((err: unknown) => this.log.error({ err, push: row._id }, 'push row failed; it is retried when its lease ends'))));
    return rows.length;
  }

  private async process(row: PendingPush): Promise<void> {
    if (row.attempts > this.opts.maxAttempts) {
      // Only a try that never reported back (the process died while sending) gets here.
      this.count('none', 'gave_up');
      this.log.warn({ push: row._id, user: row.user_id, attempts: row.attempts }, 'push given up: earlier tries never finished');
      await this.outbox.markSent(row._id);
      return;
    }
    const subs = await this.subscriptions.forUser(row.organization_id, row.user_id);
    if (subs.length === 0) {
      this.count('none', 'no_subscription');
      await this.outbox.markSent(row._id);
      return;
    }
    const reached = new Set(row.sent_to);
    const groups = new Map<PushSender, PushSubscriptionRecord[]>();
    for (const s of subs) {
      if (reached.has(s._id)) continue;
      const sender = this.byPlatform.get(s.platform);
      if (!sender) {
        this.count(s.platform, 'unconfigured');
        continue;
      }
      groups.set(sender, [...(groups.get(sender) ?? []), s]);
    }
    const retries: { sub: PushSubscriptionRecord; outcome: SendOutcome & { kind: 'retry' } }[] = [];
    await Promise.all(
      [...groups].map(async ([sender, group]) => {
        const outcomes = await sender.send(group, row.payload);
        for (const [i, sub] of group.entries()) {
          const outcome = outcomes[i] ?? { kind: 'retry', reason: 'no outcome' };
          if (outcome.kind === 'retry') retries.push({ sub, outcome });
          else await this.settle(sub, outcome, sender);
          if (outcome.kind !== 'retry') reached.add(sub._id);
        }
      }),
    );
    if (retries.length === 0) {
      await this.outbox.markSent(row._id);
      return;
    }
    const attempt = row.attempts;
    if (attempt >= this.opts.maxAttempts) {
      for (const r of retries) this.count(r.sub.platform, 'gave_up');
      this.log.warn({ push: row._id, user: row.user_id, attempts: attempt, reasons: retries.map((r) => r.outcome.reason) }, 'push given up after the last attempt');
      await this.outbox.markSent(row._id);
      return;
    }
    for (const r of retries) this.count(r.sub.platform, 'retry');
    const backoff = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
    const jittered = backoff * (0.8 + Math.random() * 0.4);
    const delay = Math.max(jittered, ...retries.map((r) => r.outcome.retryAfterMs ?? 0));
    this.log.info({ push: row._id, attempt, delayMs: Math.round(delay), reasons: retries.map((r) => r.outcome.reason) }, 'push will be retried');
    await this.outbox.markFailed(row._id, Math.round(this.clock() + delay), [...reached]);
  }

  private async settle(sub: PushSubscriptionRecord, outcome: SendOutcome, sender: PushSender): Promise<void> {
    switch (outcome.kind) {
      case 'sent':
        this.count(sub.platform, 'sent');
        return;
      case 'gone':
        this.count(sub.platform, 'gone');
        this.log.info({ subscription: sub._id, user: sub.user_id, reason: outcome.reason }, 'push subscription gone; deleted');
        await this.subscriptions.deleteById(sub._id);
        return;
      case 'failed':
        this.count(sub.platform, 'failed');
        this.log.warn({ subscription: sub._id, sender: sender.name, reason: outcome.reason }, 'push rejected by the service');
        return;
      case 'retry':
        return;
    }
  }

  /** Stops polling, waits for the round in flight, then closes the senders. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    await Promise.all(this.senders.map((s) => s.close()));
  }
}
