import { ObjectId } from 'bson';

/**
 * Record ids are MongoDB-style ObjectIds rendered as 24 lowercase hex characters (protocol.md §0).
 * Ids made by one process increase over time, which is what message ordering by `_id` relies on.
 */
export function newId(): string {
  return new ObjectId().toHexString();
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
