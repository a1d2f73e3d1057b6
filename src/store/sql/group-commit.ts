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

  constructor(
    /** Writes a batch in one transaction; returns one result per item, in order. */
    private readonly writeBatch: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 512,
    /**
     * How long the first item of an idle committer waits for others to join its batch (ms; 0 =
     * only those submitted in the same turn of the event loop). A millisecond of waiting turns
     * many tiny commits into fewer larger ones, which costs less CPU per item on both sides.
     */
    private readonly gatherMs = 0,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let every request that is already parsed in this turn of the event loop join the batch.
        if (this.gatherMs > 0) setTimeout(() => void this.loop(), this.gatherMs);
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
