import type { CollectionSpec } from '../spec.js';
import { anyId, bad, isObject, objectId, times } from '../values.js';
import { optionalText, parentOrg, rawOrg } from './common.js';

/** Address books and block lists (protocol.md §11.10, §11.11). */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

/** `[{type, value}]` as Parley stores it (matched_user_id is worked out on every read). */
function items(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((i) => isObject(i) && typeof i.value === 'string')) bad(`${field} is not a list of {type, value}`);
  const list = (v as Record<string, unknown>[]).map((i) => ({ type: typeof i.type === 'string' ? i.type : '', value: String(i.value) }));
  return list.length > 0 ? JSON.stringify(list) : null;
}

export const contacts: CollectionSpec = {
  collection: 'contacts',
  table: 'contacts',
  fields: ['_id', 'organization_id', 'user_id', 'first_name', 'last_name', 'company', 'email', 'phone', ...TIME_FIELDS],
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const owner = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const row = {
      id,
      user_id: owner,
      first_name: optionalText(doc, 'first_name', false, 255),
      last_name: optionalText(doc, 'last_name', false, 255),
      company: optionalText(doc, 'company', false, 255),
      email: items(doc.email, 'email'),
      phone: items(doc.phone, 'phone'),
      ...times(doc, id, settings.now),
    };
    const org = rawOrg(doc);
    return {
      refs: { users: [owner] },
      build(look) {
        const ownerOrg = look.userOrg(owner) ?? bad('owner not in the dump', owner);
        return { rows: [{ ...row, organization_id: parentOrg(org, ownerOrg, look, 'owner') }] };
      },
    };
  },
};

export const blockedUsers: CollectionSpec = {
  collection: 'blocked_users',
  table: 'blocked_users',
  fields: ['organization_id', 'user_id', 'blocked_user_id', 'enabled', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys blocks by (user, blocked user)' },
  parse(doc, settings) {
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const blocked = anyId(doc.blocked_user_id) ?? bad('no blocked_user_id');
    const enabled = doc.enabled === false || doc.enabled === 0 ? 0 : 1;
    const org = rawOrg(doc);
    const t = times(doc, anyId(doc._id), settings.now);
    return {
      refs: { users: [user] },
      build(look) {
        const userOrg = look.userOrg(user) ?? bad('user not in the dump', user);
        return { rows: [{ organization_id: parentOrg(org, userOrg, look, 'user'), user_id: user, blocked_user_id: blocked, enabled, created_at: t.created_at }] };
      },
    };
  },
};
