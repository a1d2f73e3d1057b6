import { Type, type Static } from '@sinclair/typebox';
import { bareError } from './errors.js';

/**
 * Building blocks shared by packet schemas. Each packet's own schema lives beside its handler
 * (handlers/<area>/<packet>.ts) so that one file holds a packet's whole contract.
 */

/** A 24-hex record id. Kept as a plain string: unknown ids are a business error, not a schema one. */
export const IdString = Type.String({ minLength: 1, maxLength: 64 });

/** `device_id`: a client string, numbers accepted and turned into strings (protocol.md §0). */
export const DeviceId = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Number()]);

/** Normalises a validated DeviceId to its string form. */
export function deviceIdString(value: Static<typeof DeviceId>): string {
  return typeof value === 'number' ? String(value) : value;
}

/** A time filter value: milliseconds since epoch, or an ISO date string (protocol.md §0). */
export const DateValue = Type.Union([Type.Number(), Type.String({ minLength: 1, maxLength: 64 })]);

/** `{gt?, lt?}` time filter used by list requests. */
export const DateRange = Type.Object({ gt: Type.Optional(DateValue), lt: Type.Optional(DateValue) }, { additionalProperties: false });

/**
 * Converts a validated DateValue to epoch milliseconds, or undefined when it is not a real date.
 * Unlike SAMA (which filters on the raw value), a numeric string is read as milliseconds.
 */
export function dateValueMs(value: Static<typeof DateValue> | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Like dateValueMs, but a value that is present and not a date is a schema error, worded as SAMA's
 * validator words it (`"updated_at.gt" must be a valid date`). Absent stays undefined.
 */
export function optionalDateMs(value: Static<typeof DateValue> | undefined, path: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = dateValueMs(value);
  if (ms === undefined) throw bareError(`"${path}" must be a valid date`);
  return ms;
}

/** `{file_id?, file_name?, file_blur_hash?}` as used by avatars and conversation images. */
export const ImageObject = Type.Object(
  {
    file_id: Type.Optional(Type.String({ maxLength: 255 })),
    file_name: Type.Optional(Type.String({ maxLength: 255 })),
    file_blur_hash: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false, title: 'ImageObject' },
);
export type ImageObjectValue = Static<typeof ImageObject>;
