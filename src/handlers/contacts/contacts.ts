import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Static } from '@sinclair/typebox';
import { renderContacts } from '../../domain/contacts.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { optionalDateMs } from '../../protocol/schemas.js';
import { ContactAddRequest, RequestSchemas } from '../../protocol/requests/index.js';
import type { ContactRecord } from '../../store/store.js';
import { defineHandler } from '../define.js';

type ContactInput = Static<typeof ContactAddRequest>;

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
  schema: RequestSchemas.contact_add,
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
  schema: RequestSchemas.contact_batch_add,
  async handle(input, { deps, session, now }) {
    const rows = input.contacts.map((c) => newContact(c, session.orgId, session.userId, now));
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < rows.length; i += BATCH_CHUNK) {
      const chunk = rows.slice(i, i + BATCH_CHUNK);
      await deps.store.contacts.insert(chunk);
      out.push(...(await renderContacts(deps.store, session.orgId, chunk, true)));
      await nextTurn();
    }
    return { response: { contacts: out } };
  },
});

/** `contact_update`: replaces the given fields of one of the caller's contacts. */
export const contactUpdate = defineHandler({
  kind: 'contact_update',
  auth: true,
  schema: RequestSchemas.contact_update,
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
  schema: RequestSchemas.contact_delete,
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
  schema: RequestSchemas.contact_list,
  async handle(input, { deps, session }) {
    const rows = await deps.store.contacts.list(session.orgId, session.userId, { updatedAfter: optionalDateMs(input.updated_at, 'updated_at'), limit: input.limit ?? 100 });
    return { response: { contacts: await renderContacts(deps.store, session.orgId, rows, true) } };
  },
});
