/**
 * A bounded set of recently seen keys (message ids, event texts): the oldest are forgotten first.
 * It is how an event that arrives twice — live and again from the catch-up — is handed on once.
 */
export class SeenSet {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds `key`; returns false when it was already there. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next();
      if (oldest.done !== true) this.keys.delete(oldest.value);
    }
    return true;
  }

  clear(): void {
    this.keys.clear();
  }
}
