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
}

/**
 * Group commit: items submitted while a batch is being written wait and go together in the next
 * transaction, so N concurrent writers cost one commit (one fsync) instead of N. Each submitter's
 * promise settles only after the transaction holding its item has committed.
 *
 * If a whole batch fails, its items are retried one by one so that a single bad item fails alone.
 */
export class GroupCommitter<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private drained: (() => void)[] = [];
  private lastStart = -Infinity;
  private readonly maxBatch: number;
  private readonly gatherMs: number;
  private readonly minIntervalMs: number;
  private readonly busyWindowMs: number;

  constructor(
    /** Writes a batch in one transaction; returns one result per item, in order. */
    private readonly writeBatch: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.gatherMs = options.gatherMs ?? 0;
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.busyWindowMs = options.busyWindowMs ?? 10;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let every request that is already parsed in this turn of the event loop join the batch.
        if (this.gatherMs > 0 && performance.now() - this.lastStart < this.busyWindowMs) setTimeout(() => void this.loop(), this.gatherMs);
        else setImmediate(() => void this.loop());
      }
    });
  }

  /** Resolves when nothing is pending or being written (used by close()). */
  idle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0) {
      const wait = this.lastStart + this.minIntervalMs - performance.now();
      if (wait >= 1 && this.pending.length < this.maxBatch) await new Promise((r) => setTimeout(r, wait));
      this.lastStart = performance.now();
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.writeBatch(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i] as R));
      } catch (batchErr) {
        if (batch.length === 1) {
          batch[0]?.reject(batchErr);
          continue;
        }
        for (const b of batch) {
          try {
            const [r] = await this.writeBatch([b.item]);
            b.resolve(r as R);
          } catch (err) {
            b.reject(err);
          }
        }
      }
    }
    this.running = false;
    for (const d of this.drained.splice(0)) d();
  }
}
