import { Type, type Static } from '@sinclair/typebox';
import { renderContacts } from '../../domain/contacts.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { DateValue, IdString, optionalDateMs } from '../../protocol/schemas.js';
import type { ContactRecord } from '../../store/store.js';
import { defineHandler } from '../define.js';

const Item = Type.Object({ type: Type.String({ maxLength: 255 }), value: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
const fields = {
  first_name: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  last_name: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  company: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  email: Type.Optional(Type.Array(Item, { maxItems: 50 })),
  phone: Type.Optional(Type.Array(Item, { maxItems: 50 })),
};
const ContactBody = Type.Object(fields, { additionalProperties: false });
type ContactInput = Static<typeof ContactBody>;

/** Applies contact_add's rules (protocol.md §3.2) and builds the record. */
function newContact(input: ContactInput, orgId: string, ownerId: string, now: number): ContactRecord {
  // SAMA checks e-mail/phone before the name.
  if (input.email === undefined && input.phone === undefined) throw samaError(Errors.contactEmailOrPhoneMissed);
  if (input.first_name === undefined && input.last_name === undefined) throw samaError(Errors.contactNameMissed);
  return { _id: newId(), organization_id: orgId, user_id: ownerId, first_name: input.first_name ?? null, last_name: input.last_name ?? null, company: input.company ?? null, email: input.email ?? null, phone: input.phone ?? null, created_at: now, updated_at: now };
}

/** `contact_add`: one address-book entry; items matching users of the organization carry `matched_user_id`. */
export const contactAdd = defineHandler({
  kind: 'contact_add',
  auth: true,
  schema: ContactBody,
  async handle(input, { deps, session, now }) {
    const c = newContact(input, session.orgId, session.userId, now);
    await deps.store.contacts.insert([c]);
    const [contact] = await renderContacts(deps.store, session.orgId, [c], false);
    return { response: { contact } };
  },
});

const BATCH_CHUNK = 500;

/**
 * `contact_batch_add`: up to 5,000 entries, each checked like contact_add (unlike SAMA, which
 * silently skips entries lacking e-mail or phone, an invalid entry fails the request and nothing
 * is stored). Stored in chunks, yielding to the event loop between them so other clients are
 * served meanwhile.
 */
export const contactBatchAdd = defineHandler({
  kind: 'contact_batch_add',
  auth: true,
  schema: Type.Object({ contacts: Type.Array(ContactBody, { maxItems: 5000 }) }, { additionalProperties: false }),
  async handle(input, { deps, session, now }) {
    const rows = input.contacts.map((c) => newContact(c, session.orgId, session.userId, now));
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < rows.length; i += BATCH_CHUNK) {
      const chunk = rows.slice(i, i + BATCH_CHUNK);
      await deps.store.contacts.insert(chunk);
      out.push(...(await renderContacts(deps.store, session.orgId, chunk, true)));
      await new Promise((r) => setImmediate(r));
    }
    return { response: { contacts: out } };
  },
});

/** `contact_update`: replaces the given fields of one of the caller's contacts. */
export const contactUpdate = defineHandler({
  kind: 'contact_update',
  auth: true,
  schema: Type.Object({ id: IdString, ...fields }, { additionalProperties: false }),
  errors: { fields: { id: Errors.contactIdMissed } },
  async handle(input, { deps, session, now }) {
    const { id, ...patch } = input;
    const c = await deps.store.contacts.update(session.orgId, session.userId, id, patch, now);
    if (!c) throw samaError(Errors.contactNotFound);
    const [contact] = await renderContacts(deps.store, session.orgId, [c], true);
    return { response: { contact } };
  },
});

/** `contact_delete`: removes one of the caller's contacts; success even if there was none. */
export const contactDelete = defineHandler({
  kind: 'contact_delete',
  auth: true,
  schema: Type.Object({ id: IdString }, { additionalProperties: false }),
  errors: { fields: { id: Errors.contactIdMissed } },
  async handle(input, { deps, session }) {
    await deps.store.contacts.delete(session.orgId, session.userId, input.id);
    return { response: { success: true } };
  },
});

/** `contact_list`: the caller's contacts, newest first; `updated_at` is a plain date; `limit` 0 = all (default 100). */
export const contactList = defineHandler({
  kind: 'contact_list',
  auth: true,
  schema: Type.Object({ updated_at: Type.Optional(DateValue), limit: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
  async handle(input, { deps, session }) {
    const rows = await deps.store.contacts.list(session.orgId, session.userId, { updatedAfter: optionalDateMs(input.updated_at, 'updated_at'), limit: input.limit ?? 100 });
    return { response: { contacts: await renderContacts(deps.store, session.orgId, rows, true) } };
  },
});
