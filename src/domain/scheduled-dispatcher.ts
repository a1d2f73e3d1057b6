import type { Logger } from 'pino';
import type { ScheduledMessage, ScheduledMessageStore } from '../store/store.js';

/** What sending one scheduled message came to. */
export type ScheduledSendOutcome =
  /** Stored (or found stored by an earlier try: the same client id is kept once) and handed on. */
  | { readonly kind: 'sent'; readonly serverMid: string }
  /** The send was refused for good (the author left, is blocked, the conversation is gone…): `error` says why. */
  | { readonly kind: 'refused'; readonly error: string };

/** A send that did not happen this time (store unreachable, handler sandbox busy): tried again after the lease. */
export interface ScheduledSendRetry {
  readonly kind: 'retry';
  readonly err: unknown;
}

/**
 * Sends a batch of scheduled messages through the live message path (main-scheduled.ts: the
 * `message` handler and its deliveries, carbons, pushes and op-log rows); resolves with one
 * result per row, in order. Rows of one conversation must be stored in the order given (send_at
 * order). Rejecting counts as a retry of every row.
 */
export type ScheduledSend = (rows: readonly ScheduledMessage[]) => Promise<readonly (ScheduledSendOutcome | ScheduledSendRetry)[]>;

/** Lets the packet that stores a schedule wake the dispatcher for an earlier send time. */
export interface ScheduleWaker {
  /** A schedule due at `sendAt` (epoch ms) was committed. */
  wake(sendAt: number): void;
}

export interface ScheduledDispatcherOptions {
  /** Names this node in the lease (claimed_by), for operators. */
  readonly owner: string;
  /** Rows leased per claim; a full batch is followed by another claim at once. */
  readonly batchSize: number;
  /** Longest sleep between rounds, whatever the next known send time (finds other nodes' schedules). */
  readonly pollIntervalMs: number;
  /** How long a claim holds its rows; another node takes them after it if this one died. */
  readonly leaseMs: number;
  /** Claims of one row before it is given up as failed (a send that kills its node, again and again). */
  readonly maxAttempts: number;
  /** Sent and failed rows are kept this long for the record, then swept. */
  readonly keepFinishedMs: number;
  /** Told of each row's result (for /metrics). */
  readonly counted?: (result: ScheduledResult) => void;
}

/** What became of one claimed row this time. */
export type ScheduledResult = 'sent' | 'refused' | 'retry' | 'gave_up';

/**
 * Sends scheduled messages when they are due. Every node runs one; the store's lease makes each
 * row go to one node at a time, and a row sent twice (its node died after storing the message,
 * before recording it) is stored and delivered once, because the message id was fixed when it
 * was scheduled. So a message is sent once in a cluster, and late rather than never.
 *
 * Timing: a round claims due rows in batches until a batch comes back short, sends them, then
 * sleeps until the next known send time (a lease end counts) or `pollIntervalMs`, whichever is
 * sooner. `wake` brings the timer forward for a schedule stored on this node; schedules stored on
 * other nodes are found by the poll (their own node wakes for them). The first round runs at
 * start, so rows that fell due while every node was down go out then.
 */
export class ScheduledDispatcher implements ScheduleWaker {
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (epoch ms); undefined while a round runs. */
  private armedAt: number | undefined;
  private round: Promise<void> | undefined;
  /** The earliest wake received while a round ran (it may have read nextDue before that commit). */
  private wokenDuringRound: number | undefined;
  private lastSweep = 0;
  private stopped = false;

  constructor(
    private readonly store: ScheduledMessageStore,
    private readonly send: ScheduledSend,
    private readonly opts: ScheduledDispatcherOptions,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Starts the loop; the first round runs at once. */
  start(): void {
    this.arm(this.clock());
  }

  wake(sendAt: number): void {
    if (this.stopped) return;
    if (this.round) {
      this.wokenDuringRound = Math.min(this.wokenDuringRound ?? sendAt, sendAt);
      return;
    }
    if (this.armedAt === undefined || sendAt < this.armedAt) this.arm(sendAt);
  }

  /** Stops the loop and waits for the round in flight (its unsent rows are retried after their lease). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private arm(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Never past the poll interval (which also keeps setTimeout below its 2^31-1 ms limit).
    const delay = Math.min(Math.max(0, at - this.clock()), this.opts.pollIntervalMs);
    this.armedAt = this.clock() + delay;
    this.timer = setTimeout(() => this.runRound(), delay);
  }

  private runRound(): void {
    this.timer = undefined;
    this.armedAt = undefined;
    this.wokenDuringRound = undefined;
    this.round = this.drain()
      .catch((err: unknown) => {
        this.log.error({ err }, 'scheduled message round failed; retried at the next poll');
        return null;
      })
      .then((next) => {
        this.round = undefined;
        const now = this.clock();
        const woken = this.wokenDuringRound;
        const candidates = [now + this.opts.pollIntervalMs, ...(next === null ? [] : [next]), ...(woken === undefined ? [] : [woken])];
        this.arm(Math.min(...candidates));
      });
  }

  /** Claims and sends due rows until none is left; resolves with the next due time. */
  private async drain(): Promise<number | null> {
    for (;;) {
      if (this.stopped) return null;
      const now = this.clock();
      const rows = await this.store.claim(this.opts.batchSize, now, now + this.opts.leaseMs, this.opts.owner);
      await this.process(rows);
      if (rows.length < this.opts.batchSize) break;
    }
    await this.sweep();
    return this.store.nextDue();
  }

  private async process(rows: readonly ScheduledMessage[]): Promise<void> {
    const spent = rows.filter((row) => row.attempts > this.opts.maxAttempts);
    for (const row of spent) {
      this.opts.counted?.('gave_up');
      this.log.warn({ schedule: row._id, user: row.from, attempts: row.attempts }, 'scheduled message given up: earlier tries never finished');
      await this.finish(row, { state: 'failed', error: 'Given up: earlier tries never finished.' });
    }
    const live = rows.filter((row) => row.attempts <= this.opts.maxAttempts);
    if (live.length === 0) return;
    let results: readonly (ScheduledSendOutcome | ScheduledSendRetry)[];
    try {
      results = await this.send(live);
    } catch (err) {
      results = live.map(() => ({ kind: 'retry', err }));
    }
    await Promise.all(live.map((row, i) => this.settle(row, results[i] ?? { kind: 'retry', err: new Error('no result') })));
  }

  private async settle(row: ScheduledMessage, result: ScheduledSendOutcome | ScheduledSendRetry): Promise<void> {
    const ids = { schedule: row._id, user: row.from, cid: row.cid };
    this.opts.counted?.(result.kind);
    switch (result.kind) {
      case 'sent':
        await this.finish(row, { state: 'sent', serverMid: result.serverMid });
        return;
      case 'refused':
        // The author's rights are checked again at send time: the refusal is the recorded outcome.
        this.log.info({ ...ids, error: result.error }, 'scheduled message refused at send time');
        await this.finish(row, { state: 'failed', error: result.error });
        return;
      case 'retry':
        this.log.warn({ err: result.err, ...ids, attempts: row.attempts }, 'scheduled message not sent; it is tried again when its lease ends');
        return;
    }
  }

  private async finish(row: ScheduledMessage, outcome: { state: 'sent'; serverMid: string } | { state: 'failed'; error: string }): Promise<void> {
    try {
      await this.store.finish(row._id, outcome, this.clock());
    } catch (err) {
      // Sent but not recorded: the row is claimed again after its lease and the message store
      // recognises the message id, so nothing is delivered twice.
      this.log.warn({ err, schedule: row._id }, 'scheduled message outcome not recorded; settled again after its lease');
    }
  }

  /** Removes old sent and failed rows, at most once an hour. */
  private async sweep(): Promise<void> {
    const now = this.clock();
    if (now - this.lastSweep < 3_600_000) return;
    this.lastSweep = now;
    await this.store.sweep(now - this.opts.keepFinishedMs, 1000);
  }
}
