import type { ContactItem, ContactRecord, Store } from '../store/store.js';

/**
 * Renders contacts with `matched_user_id` on every e-mail/phone item that belongs to a user of
 * the same organization. Matching happens when contacts are read, so a user who registers later,
 * changes an e-mail or phone, or is deleted is reflected at once with no stored links to go stale.
 * `withOwner` adds `user_id` (SAMA returns it for batch add and update, not for add).
 */
export async function renderContacts(store: Store, orgId: string, contacts: readonly ContactRecord[], withOwner: boolean): Promise<Record<string, unknown>[]> {
  const emails = contacts.flatMap((c) => (c.email ?? []).map((i) => i.value));
  const phones = contacts.flatMap((c) => (c.phone ?? []).map((i) => i.value));
  const users = await store.users.byEmailsOrPhones(orgId, emails, phones);
  const byEmail = new Map(users.filter((u) => u.email !== null).map((u) => [u.email as string, u._id]));
  const byPhone = new Map(users.filter((u) => u.phone !== null).map((u) => [u.phone as string, u._id]));
  const items = (list: ContactItem[] | null, index: Map<string, string>): Record<string, unknown>[] | undefined =>
    list?.map((i) => {
      const matched = index.get(i.value);
      return matched === undefined ? { type: i.type, value: i.value } : { type: i.type, value: i.value, matched_user_id: matched };
    });
  return contacts.map((c) => {
    const out: Record<string, unknown> = { _id: c._id, organization_id: c.organization_id };
    if (withOwner) out.user_id = c.user_id;
    if (c.first_name !== null) out.first_name = c.first_name;
    if (c.last_name !== null) out.last_name = c.last_name;
    if (c.company !== null) out.company = c.company;
    const email = items(c.email, byEmail);
    const phone = items(c.phone, byPhone);
    if (email) out.email = email;
    if (phone) out.phone = phone;
    out.created_at = new Date(c.created_at).toISOString();
    out.updated_at = new Date(c.updated_at).toISOString();
    return out;
  });
}
