import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';

/**
 * Field readers for SAMA documents as `bson` decodes them (from `.bson` files, or from Extended
 * JSON, which `EJSON.parse` turns into the same values). SAMA stores ids as ObjectIds or as plain
 * strings (it casts when it can, so both occur, e.g. the organization "default"), times as Dates
 * (older rows: `createdAt`), and counters as numbers. Every reader returns undefined for a value
 * it cannot use; the mappers turn that into a reason.
 */

/** One decoded document. */
export type Doc = Record<string, unknown>;

/**
 * Why a record is not imported: `bad` records are wrong or dangling, `skip`ped ones are left out
 * on purpose. `reason` is a category the summary counts by; `detail` names the ids involved and
 * appears only in the list of bad records.
 */
export class Reject extends Error {
  override name = 'Reject';
  constructor(
    readonly kind: 'bad' | 'skip',
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail === undefined ? reason : `${reason}: ${detail}`);
  }
}

/** Throws a `bad` Reject. */
export function bad(reason: string, detail?: string): never {
  throw new Reject('bad', reason, detail);
}

/** Throws a `skip` Reject. */
export function skip(reason: string, detail?: string): never {
  throw new Reject('skip', reason, detail);
}

const HEX24 = /^[0-9a-fA-F]{24}$/;
/** Parley's id columns and the wire's id strings are at most this long (protocol IdString). */
const MAX_ID = 64;

/** An id of any kind: an ObjectId as lowercase hex, or a non-empty string of at most 64 characters. */
export function anyId(v: unknown): string | undefined {
  if (v instanceof ObjectId) return v.toHexString();
  if (typeof v !== 'string') return undefined;
  if (HEX24.test(v)) return v.toLowerCase();
  return v.length > 0 && v.length <= MAX_ID ? v : undefined;
}

/** A 24-hex ObjectId (as a BSON ObjectId or a string), lowercase; what users, conversations, messages and files need. */
export function objectId(v: unknown): string | undefined {
  if (v instanceof ObjectId) return v.toHexString();
  return typeof v === 'string' && HEX24.test(v) ? v.toLowerCase() : undefined;
}

/** The creation time embedded in a 24-hex id, epoch ms. */
function idTime(id: string): number {
  return parseInt(id.slice(0, 8), 16) * 1000;
}

/** Epoch ms from a Date, an ISO string or a number of ms (Extended JSON's `$date` forms all decode to Dates). */
export function time(v: unknown): number | undefined {
  let ms: number | undefined;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'string' && v.length > 0) ms = Date.parse(v);
  else if (typeof v === 'number') ms = v;
  else if (v instanceof Long || v instanceof Int32 || v instanceof Double) ms = Number(v.valueOf());
  return ms !== undefined && Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** An integer from a number or a BSON number type. */
export function int(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : v instanceof Long || v instanceof Int32 || v instanceof Double ? Number(v.valueOf()) : undefined;
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** A device id: clients send strings or numbers (protocol.md §0); stored as a string. */
export function deviceId(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.length > 0 && v.length <= 255 ? v : undefined;
}

/**
 * A document's creation and update times (epoch ms): `created_at`/`updated_at`, else the
 * camel-case names some SAMA rows have, else the time in the id, else `fallback`. The update time
 * is never before the creation time.
 */
export function times(doc: Doc, id: string | undefined, fallback: number): { created_at: number; updated_at: number } {
  const created = time(doc.created_at) ?? time(doc.createdAt) ?? (id !== undefined && HEX24.test(id) ? idTime(id) : undefined) ?? fallback;
  const updated = time(doc.updated_at) ?? time(doc.updatedAt) ?? created;
  return { created_at: created, updated_at: Math.max(created, updated) };
}

/**
 * A BSON value made JSON-safe, for free-form fields stored as JSON text (`x`, attachments):
 * ObjectIds become hex, Dates ISO strings, BSON numbers numbers, binary base64.
 */
export function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof ObjectId) return v.toHexString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Long || v instanceof Int32 || v instanceof Double) return Number(v.valueOf());
  if (v instanceof Decimal128) return Number(v.toString());
  if (v instanceof Timestamp) return v.toNumber();
  if (v instanceof Binary) return Buffer.from(v.buffer).toString('base64');
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) out[k] = plain(value);
  return out;
}

/** True for a plain object (not an array, not a BSON value). */
export function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof ObjectId);
}
