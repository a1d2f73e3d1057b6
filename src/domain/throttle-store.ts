/**
 * Where login-throttle state lives (domain/login-throttle.ts): this node's memory for one node,
 * Redis for a cluster, so every node counts the same failures. Counters are fixed windows that
 * start with their first failure. Nothing here is durable or needs to be: losing it lets
 * attempts through sooner, never locks anyone out.
 */
export interface ThrottleStore {
  /** Failures counted for `key` in its current window (0 when none, or the window ended). */
  failures(key: string, now: number): Promise<number>;
  /** Counts one failure for `key`, starting a window of `windowMs` if none is running. */
  fail(key: string, windowMs: number, now: number): Promise<void>;
  /** Forgets `key`'s window. */
  reset(key: string): Promise<void>;
  /** True, and the slot is taken for `intervalMs`, when `key`'s slot is free; false while taken. */
  takeSlot(key: string, intervalMs: number, now: number): Promise<boolean>;
  /** Records `members` as known for `key` until `now + ttlMs`, keeping the `max` newest. */
  remember(key: string, members: readonly string[], ttlMs: number, max: number, now: number): Promise<void>;
  /** True when one of `members` is known for `key` at `now`. */
  knows(key: string, members: readonly string[], now: number): Promise<boolean>;
}

/** Logins with known sources kept by the memory store; the least recently successful goes first. */
const KNOWN_KEYS = 100_000;

/**
 * The single-node ThrottleStore: maps in this process, bounded (ended windows and slots are
 * dropped when read and by `sweep`; known sources per key and keys in all are capped).
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly windows = new Map<string, { end: number; count: number }>();
  private readonly slots = new Map<string, number>();
  private readonly known = new Map<string, Map<string, number>>();

  failures(key: string, now: number): Promise<number> {
    const w = this.windows.get(key);
    if (w && w.end <= now) this.windows.delete(key);
    return Promise.resolve(w && w.end > now ? w.count : 0);
  }

  fail(key: string, windowMs: number, now: number): Promise<void> {
    const w = this.windows.get(key);
    if (!w || w.end <= now) this.windows.set(key, { end: now + windowMs, count: 1 });
    else w.count += 1;
    return Promise.resolve();
  }

  reset(key: string): Promise<void> {
    this.windows.delete(key);
    return Promise.resolve();
  }

  takeSlot(key: string, intervalMs: number, now: number): Promise<boolean> {
    if ((this.slots.get(key) ?? 0) > now) return Promise.resolve(false);
    this.slots.set(key, now + intervalMs);
    return Promise.resolve(true);
  }

  remember(key: string, members: readonly string[], ttlMs: number, max: number, now: number): Promise<void> {
    let sources = this.known.get(key);
    if (sources) this.known.delete(key);
    else sources = new Map();
    this.known.set(key, sources);
    for (const m of members) {
      sources.delete(m);
      sources.set(m, now + ttlMs);
    }
    while (sources.size > max) sources.delete(sources.keys().next().value as string);
    while (this.known.size > KNOWN_KEYS) this.known.delete(this.known.keys().next().value as string);
    return Promise.resolve();
  }

  knows(key: string, members: readonly string[], now: number): Promise<boolean> {
    const sources = this.known.get(key);
    return Promise.resolve(sources !== undefined && members.some((m) => (sources.get(m) ?? 0) > now));
  }

  /** Drops ended windows, free slots and expired known sources; call periodically. */
  sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.end <= now) this.windows.delete(k);
    for (const [k, until] of this.slots) if (until <= now) this.slots.delete(k);
    for (const [k, sources] of this.known) {
      for (const [m, until] of sources) if (until <= now) sources.delete(m);
      if (sources.size === 0) this.known.delete(k);
    }
  }
}
