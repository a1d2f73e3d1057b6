/**
 * A bounded read-through cache whose entries can be dropped safely while loads are in flight.
 *
 * The rule that keeps it correct: a value read from the store is kept only if no invalidation of
 * its key happened while it was being read. `invalidate` removes the entry and forgets the
 * in-flight load, so a read that started before a write committed can still answer its own
 * callers (it was concurrent with the write) but never fills the cache with the old value; the
 * next `get` reads afresh. Callers invalidate *after* the write has committed.
 *
 * Concurrent gets of one key share one load. At most `capacity` entries are kept; the least
 * recently used goes first. Loads that resolve to `undefined` are not kept (no negative caching).
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly loading = new Map<string, Promise<V | undefined>>();

  constructor(private readonly capacity: number) {}

  /** The cached value, or the result of `load` (kept unless `key` was invalidated meanwhile). */
  get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = load().then(
      (value) => {
        if (this.loading.get(key) === p) {
          this.loading.delete(key);
          if (value !== undefined) this.put(key, value);
        }
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(key) === p) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  /** Drops the entry and any in-flight load of `key`. */
  invalidate(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  /** Replaces a cached entry with `fn(entry)` (no-op when absent); in-flight loads are forgotten. */
  update(key: string, fn: (v: V) => V): void {
    this.loading.delete(key);
    const cur = this.entries.get(key);
    if (cur !== undefined) this.entries.set(key, fn(cur));
  }

  /** Drops everything, in-flight loads included. */
  clear(): void {
    this.entries.clear();
    this.loading.clear();
  }

  /** Number of cached entries. */
  get size(): number {
    return this.entries.size;
  }

  private put(key: string, value: V): void {
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
