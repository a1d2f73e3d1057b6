/**
 * Fixed-window counters for failed logins, per key (a login name or a client address). Memory is
 * bounded: windows are dropped once they end, checked on each call and by `sweep`.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** True when `key` has used up its failures in the current window. */
  blocked(key: string, now: number): boolean {
    const w = this.windows.get(key);
    if (!w) return false;
    if (now - w.start >= this.windowMs) {
      this.windows.delete(key);
      return false;
    }
    return w.count >= this.limit;
  }

  /** Counts one failure for `key`. */
  fail(key: string, now: number): void {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) this.windows.set(key, { start: now, count: 1 });
    else w.count += 1;
  }

  /** Forgets `key` (after a successful login). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  /** Drops ended windows; call periodically. */
  sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}
