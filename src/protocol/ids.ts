import { ObjectId } from 'bson';

/**
 * Record ids are MongoDB-style ObjectIds rendered as 24 lowercase hex characters (protocol.md §0).
 * Ids made by one process increase over time, which is what message ordering by `_id` relies on.
 */
export function newId(): string {
  return new ObjectId().toHexString();
}

/**
 * An id that sorts just after `id` (same embedded second), for a message that must follow it in
 * its conversation. Its middle part is `id`'s process value plus one — a value no process is
 * likely to hold (40 random bits) — and its counter is fresh, so it collides with no id made by
 * a process's own counter.
 */
export function idAfter(id: string): string {
  const middle = (BigInt(`0x${id.slice(8, 18)}`) + 1n) & 0xffffffffffn;
  const time = middle === 0n ? (parseInt(id.slice(0, 8), 16) + 1).toString(16).padStart(8, '0') : id.slice(0, 8);
  return time + middle.toString(16).padStart(10, '0') + newId().slice(18);
}

const HEX24 = /^[0-9a-f]{24}$/;

/** True for a well-formed record id (24 lowercase hex characters). */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && HEX24.test(value);
}

/**
 * An id created at `ms` (epoch milliseconds): its embedded time is that second. Used when records
 * are made with a given creation time (imports, benchmark seeding).
 */
export function newIdAt(ms: number): string {
  // The 16 hex characters after the time are this process's random value and counter: unique.
  return idFloorAt(ms / 1000).slice(0, 8) + new ObjectId().toHexString().slice(8);
}

/**
 * The smallest id whose embedded time is at or after `unixSeconds`: every id made before that
 * second sorts below it. Lets time-bounded queries walk the id index instead of sorting.
 */
export function idFloorAt(unixSeconds: number): string {
  return Math.max(0, Math.floor(unixSeconds)).toString(16).padStart(8, '0') + '0'.repeat(16);
}
