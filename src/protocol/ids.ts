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
