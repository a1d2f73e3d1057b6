import type { UserWire } from '../protocol/models.js';
import type { UserRecord } from '../store/store.js';

/** The public user object (protocol.md §11.1): never organization or password fields. Its schema is protocol/models.ts `User`. */
export type PublicUser = UserWire;

/**
 * Renders a stored user for the wire. Unset fields are absent rather than null, as in SAMA
 * (MongoDB rows simply lack them). `avatarUrl` is filled in by the files feature when it can
 * sign a download URL.
 */
export function publicUser(u: UserRecord, avatarUrl?: string): PublicUser {
  const out: PublicUser = {
    _id: u._id,
    native_id: u._id,
    login: u.login,
    recent_activity: u.recent_activity,
    created_at: new Date(u.created_at).toISOString(),
    updated_at: new Date(u.updated_at).toISOString(),
  };
  if (u.first_name !== null) out.first_name = u.first_name;
  if (u.last_name !== null) out.last_name = u.last_name;
  if (u.email !== null) out.email = u.email;
  if (u.phone !== null) out.phone = u.phone;
  if (u.avatar_object !== null) out.avatar_object = { ...u.avatar_object };
  if (avatarUrl !== undefined) out.avatar_url = avatarUrl;
  return out;
}

/** "first last" when either is set, otherwise the login (used in system message sentences). */
export function displayName(u: Pick<UserRecord, 'first_name' | 'last_name' | 'login'>): string {
  const full = [u.first_name, u.last_name].filter((s): s is string => typeof s === 'string' && s.length > 0).join(' ');
  return full.length > 0 ? full : u.login;
}

/** Unix seconds rounded to nearest, as SAMA uses for activity times. */
export function unixSeconds(ms: number): number {
  return Math.round(ms / 1000);
}
