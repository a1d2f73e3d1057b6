import { bareError, SamaError } from '../protocol/errors.js';
import { newId } from '../protocol/ids.js';
import { ConflictError, type OrganizationRecord, type OrganizationStore } from '../store/store.js';

/** The organization SAMA pre-creates, with the literal id "default" (protocol.md §11.3). */
export const DEFAULT_ORGANIZATION = { _id: 'default', name: 'default' } as const;

/** Wire shape of an organization. */
export function publicOrganization(o: OrganizationRecord): Record<string, string> {
  return { _id: o._id, name: o.name, created_at: new Date(o.created_at).toISOString(), updated_at: new Date(o.updated_at).toISOString() };
}

/**
 * Creates an organization (admin API and CLI). Names are trimmed, 1–255 characters and unique;
 * a taken name is a 422 rather than SAMA's raw database error.
 */
export async function createOrganization(store: OrganizationStore, rawName: unknown, now: number): Promise<OrganizationRecord> {
  if (typeof rawName !== 'string') throw bareError('"name" must be a string');
  const name = rawName.trim();
  if (name.length === 0 || name.length > 255) throw bareError('"name" length must be between 1 and 255 characters');
  try {
    return await store.insert({ _id: newId(), name, now });
  } catch (err) {
    if (err instanceof ConflictError) throw new SamaError(422, 'An organization with this name already exists.');
    throw err;
  }
}

/** Makes sure the "default" organization exists, so a fresh laptop install works without setup. */
export async function ensureDefaultOrganization(store: OrganizationStore, now: number): Promise<void> {
  if (await store.byId(DEFAULT_ORGANIZATION._id)) return;
  try {
    await store.insert({ ...DEFAULT_ORGANIZATION, now });
  } catch (err) {
    // Another node created it first, or an operator made an org named "default": either is fine.
    if (!(err instanceof ConflictError)) throw err;
  }
}
