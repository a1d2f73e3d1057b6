/** Reconnection pacing. */
export interface ReconnectOptions {
  /** Upper bound of the first delay, ms (default 500). */
  readonly initialDelayMs?: number;
  /** Largest delay, ms (default 30,000). */
  readonly maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  readonly maxAttempts?: number;
}

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time in
 * [0, min(max, initial · 2ⁿ)]. The jitter spreads the reconnections of many clients cut off at
 * once (a server restart) instead of bringing them back in waves.
 */
export function backoffDelay(attempt: number, opts: ReconnectOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
