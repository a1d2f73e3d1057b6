import { newId } from '../../protocol/ids.js';
import type { Store, UserRecord } from '../store.js';

/** Opens a store for one contract run; the runner closes it. */
export type StoreFactory = () => Promise<Store>;

/** A fresh organization, so every contract test is independent of the others. */
export async function freshOrg(store: Store): Promise<string> {
  const id = newId();
  await store.organizations.insert({ _id: id, name: `org-${id}`, now: Date.now() });
  return id;
}

/** Inserts a user with sensible defaults. */
export function makeUser(store: Store, orgId: string, fields: Partial<Omit<UserRecord, 'updated_at'>> = {}): Promise<UserRecord> {
  const id = fields._id ?? newId();
  return store.users.insert({
    _id: id,
    organization_id: orgId,
    login: `login${id}`,
    email: null,
    phone: null,
    first_name: null,
    last_name: null,
    password_hash: 'hash',
    recent_activity: 1,
    avatar_object: null,
    created_at: Date.now(),
    ...fields,
  });
}
