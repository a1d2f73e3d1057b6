/** The shortest tick of a SpreadTimer (ms): below it the timer's own wake-ups would cost more than the work. */
const MIN_TICK_MS = 25;
/** Most slots per period: at 25 s this is a tick every 25 ms. */
const MAX_SLOTS = 1000;

/**
 * Runs a periodic task for every member of a set, spread over the period instead of all at once.
 * Each member gets a slot when added (round robin over the slots); a tick every `periodMs / slots`
 * visits one slot, so every member is visited once per period, a whole period after its previous
 * visit, however many others come and go meanwhile.
 *
 * Why: pinging every socket in one timer callback held the event loop for the whole sweep, about
 * 50 µs a socket (1,000 sockets: a 50 ms stall every heartbeat, seen as the p99 of every message
 * sent meanwhile; 100,000 sockets would stall it for seconds). Spread out, a tick visits
 * `members / slots` of them.
 *
 * State: the slot sets are in memory only and hold live connections; nothing to rebuild after a
 * restart (members are added again as they connect).
 */
export class SpreadTimer<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  private nextSlot = 0;
  private tickSlot = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly periodMs: number,
    private readonly visit: (member: T) => void,
  ) {
    if (!(periodMs > 0)) throw new Error('SpreadTimer: periodMs must be above 0');
    const count = Math.max(1, Math.min(MAX_SLOTS, Math.floor(periodMs / MIN_TICK_MS)));
    this.slots = Array.from({ length: count }, () => new Set<T>());
    this.timer = setInterval(() => this.tick(), periodMs / count);
    // A timer for housekeeping never keeps the process alive.
    this.timer.unref();
  }

  /** Members being visited. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Starts visiting `member`: first within one period, then once per period. Adding it again changes nothing. */
  add(member: T): void {
    if (this.slotOf.has(member)) return;
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.slots.length;
    this.slotOf.set(member, slot);
    (this.slots[slot] as Set<T>).add(member);
  }

  /** Stops visiting `member` (a no-op for one not added). */
  delete(member: T): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slotOf.delete(member);
    this.slots[slot]?.delete(member);
  }

  /** Stops the timer; members are no longer visited. */
  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const slot = this.slots[this.tickSlot] as Set<T>;
    this.tickSlot = (this.tickSlot + 1) % this.slots.length;
    // A visit may delete members (of this slot too): iterating a Set while deleting is safe.
    for (const member of slot) this.visit(member);
  }
}
