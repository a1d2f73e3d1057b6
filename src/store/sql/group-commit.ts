/** How a GroupCommitter forms batches. */
export interface GroupCommitOptions {
  /** Most items per transaction. */
  readonly maxBatch?: number;
  /**
   * How long the first item of an idle committer waits for others to join its batch (ms; 0 =
   * only those submitted in the same turn of the event loop). A millisecond of waiting turns
   * many tiny commits into fewer larger ones, which costs less CPU per item on both sides. It
   * applies only while busy — the previous batch started less than `busyWindowMs` ago — since
   * at a low rate nothing joins and the wait would be pure latency.
   */
  readonly gatherMs?: number;
  /** See gatherMs (default 10 ms: gathering starts above about 100 batches a second). */
  readonly busyWindowMs?: number;
  /**
   * A batch starts no sooner than this many ms after the previous one started (unless maxBatch
   * items are waiting). Under load this sets the batch size (rate × interval) instead of the
   * commit time alone: each commit writes every page it touched, so fewer, larger commits cost
   * less per item, for at most this much added latency.
   */
  readonly minIntervalMs?: number;
  /**
   * Batches written at the same time (default 1). Above 1, `keyOf` is required: batches in
   * flight never share a key, so items of one key are written one batch after another, in
   * submission order. For a writer that is a round trip to a server which commits concurrent
   * transactions by itself (PostgreSQL): an item that arrives while a batch is in flight goes
   * at once instead of waiting for that batch.
   */
  readonly maxInFlight?: number;
  /** The ordering key of an item (a message's conversation); see maxInFlight. */
  readonly keyOf?: (item: never) => string;
}

interface Pending<T, R> {
  readonly item: T;
  readonly key: string;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: items submitted while a batch is being written wait and go together in the next
 * transaction, so N concurrent writers cost one commit (one fsync) instead of N. Each submitter's
 * promise settles only after the transaction holding its item has committed.
 *
 * If a whole batch fails, its items are retried one by one so that a single bad item fails alone.
 */
export class GroupCommitter<T, R> {
  private pending: Pending<T, R>[] = [];
  /** Batches being written. */
  private inFlight = 0;
  /** Keys of the items in flight (maxInFlight > 1 only). */
  private readonly busyKeys = new Set<string>();
  /** A start is scheduled (timer or immediate) and has not run yet. */
  private scheduled = false;
  private drained: (() => void)[] = [];
  private lastStart = -Infinity;
  private readonly maxBatch: number;
  private readonly gatherMs: number;
  private readonly minIntervalMs: number;
  private readonly busyWindowMs: number;
  private readonly maxInFlight: number;
  private readonly keyOf: ((item: T) => string) | undefined;

  constructor(
    /** Writes a batch in one transaction; returns one result per item, in order. */
    private readonly writeBatch: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.gatherMs = options.gatherMs ?? 0;
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.busyWindowMs = options.busyWindowMs ?? 10;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.keyOf = options.keyOf as ((item: T) => string) | undefined;
    if (this.maxInFlight > 1 && !this.keyOf) throw new Error('GroupCommitter: maxInFlight above 1 needs keyOf');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, key: this.keyOf?.(item) ?? '', resolve, reject });
      if (this.scheduled || this.inFlight >= this.maxInFlight) return;
      this.scheduled = true;
      // Let every request that is already parsed in this turn of the event loop join the batch.
      if (this.gatherMs > 0 && performance.now() - this.lastStart < this.busyWindowMs) setTimeout(() => void this.start(), this.gatherMs);
      else setImmediate(() => void this.start());
    });
  }

  /** Resolves when nothing is pending or being written (used by close()). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Starts batches while there is room and something to write; each one starts more when done. */
  private async start(): Promise<void> {
    this.scheduled = false;
    while (this.inFlight < this.maxInFlight) {
      const wait = this.lastStart + this.minIntervalMs - performance.now();
      if (wait >= 1 && this.pending.length < this.maxBatch && this.pending.length > 0) {
        this.scheduled = true;
        await new Promise((r) => setTimeout(r, wait));
        this.scheduled = false;
        continue;
      }
      const batch = this.take();
      if (batch.length === 0) break;
      this.lastStart = performance.now();
      this.inFlight++;
      void this.write(batch);
    }
    this.settleIdle();
  }

  /** Up to maxBatch pending items whose keys are not in flight, in order; they leave `pending`. */
  private take(): Pending<T, R>[] {
    if (this.maxInFlight === 1) return this.pending.splice(0, this.maxBatch);
    const batch: Pending<T, R>[] = [];
    const rest: Pending<T, R>[] = [];
    for (const p of this.pending) {
      // A key in flight holds back every later item of that key, which keeps each key's order.
      if (batch.length < this.maxBatch && !this.busyKeys.has(p.key)) batch.push(p);
      else rest.push(p);
    }
    this.pending = rest;
    for (const p of batch) this.busyKeys.add(p.key);
    return batch;
  }

  private async write(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.writeBatch(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i] as R));
    } catch (batchErr) {
      if (batch.length === 1) batch[0]?.reject(batchErr);
      else {
        for (const b of batch) {
          try {
            const [r] = await this.writeBatch([b.item]);
            b.resolve(r as R);
          } catch (err) {
            b.reject(err);
          }
        }
      }
    } finally {
      this.inFlight--;
      if (this.maxInFlight > 1) for (const b of batch) this.busyKeys.delete(b.key);
    }
    if (!this.scheduled) await this.start();
  }

  private settleIdle(): void {
    if (this.inFlight === 0 && this.pending.length === 0 && !this.scheduled) for (const d of this.drained.splice(0)) d();
  }
}
