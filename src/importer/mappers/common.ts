import type { ImageRef } from '../../store/store.js';
import type { Lookups } from '../lookups.js';
import { anyId, bad, isObject, type Doc } from '../values.js';

/**
 * A file-link scope that names no conversation. Every imported file gets a link with it, so
 * Parley's cleanup of files never attached (FILE_UNATTACHED_EXPIRES_IN) does not delete objects
 * SAMA kept; it makes the file visible to nobody but its uploader.
 */
export const IMPORT_KEEP_SCOPE = 'sama-import';

/** The stand-in for a missing `organization_id` in `--map-organization none=<id>`. */
export const NO_ORGANIZATION = 'none';

/** SAMA's organization id of a document as written (ObjectId or string), or NO_ORGANIZATION. */
export function rawOrg(doc: Doc): string {
  return anyId(doc.organization_id) ?? NO_ORGANIZATION;
}

/**
 * The Parley organization of a record from its own `organization_id` (mapped), checked to exist.
 * Throws a Reject saying how to fix a missing one.
 */
export function ownOrg(raw: string, look: Lookups): string {
  if (raw === NO_ORGANIZATION && !look.isMapped(raw)) bad('no organization_id', `rerun with --map-organization ${NO_ORGANIZATION}=<organization id> to place such records`);
  if (!look.organizationExists(raw)) {
    bad(
      'organization not in the dump or in Parley',
      `${raw}; if SAMA's own migration renamed its default organization to "default" and left records on the old id, rerun with --map-organization ${raw}=default`,
    );
  }
  return look.mapOrg(raw);
}

/**
 * The organization of a record that belongs to a parent (a conversation, a user): the parent's,
 * after checking that the record's own `organization_id`, when it has one, says the same.
 */
export function parentOrg(raw: string, parent: string, look: Lookups, what: string): string {
  if (raw !== NO_ORGANIZATION && look.mapOrg(raw) !== parent) bad(`organization_id differs from its ${what}'s`, `${look.mapOrg(raw)} vs ${parent}`);
  return parent;
}

/** `{file_id, file_name, file_blur_hash}` as Parley stores avatars and conversation images; null when there is no usable one. */
export function imageRef(v: unknown): ImageRef | null {
  if (!isObject(v)) return null;
  const out: ImageRef = {};
  const id = anyId(v.file_id);
  if (id !== undefined) out.file_id = id;
  if (typeof v.file_name === 'string') out.file_name = v.file_name;
  if (typeof v.file_blur_hash === 'string') out.file_blur_hash = v.file_blur_hash;
  return Object.keys(out).length > 0 ? out : null;
}

/** A text field that must be text or absent; Reject otherwise. */
export function optionalText(doc: Doc, field: string, emptyIsNull = false, max = 65_536): string | null {
  const v = doc[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') bad(`${field} is not text`);
  if (emptyIsNull && v.trim() === '') return null;
  if (v.length > max) bad(`${field} is longer than ${max} characters`);
  return v;
}
