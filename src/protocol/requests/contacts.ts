import { Type } from '@sinclair/typebox';
import { DateValue, IdString } from '../schemas.js';

/** A phone or e-mail entry of a contact: a free label and the value. */
const ContactItemInput = Type.Object({ type: Type.String({ maxLength: 255 }), value: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });

const contactFields = {
  first_name: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  last_name: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  company: Type.Optional(Type.String({ minLength: 2, maxLength: 255 })),
  email: Type.Optional(Type.Array(ContactItemInput, { maxItems: 50 })),
  phone: Type.Optional(Type.Array(ContactItemInput, { maxItems: 50 })),
};

/** `contact_add` (protocol.md §3.2): a first or last name, and an e-mail or a phone. */
export const ContactAddRequest = Type.Object(contactFields, { additionalProperties: false });

/** `contact_batch_add`. */
export const ContactBatchAddRequest = Type.Object({ contacts: Type.Array(ContactAddRequest, { maxItems: 5000 }) }, { additionalProperties: false });

/** `contact_update`: the given fields replace the stored ones. */
export const ContactUpdateRequest = Type.Object({ id: IdString, ...contactFields }, { additionalProperties: false });

/** `contact_delete`. */
export const ContactDeleteRequest = Type.Object({ id: IdString }, { additionalProperties: false });

/** `contact_list`: `updated_at` is a plain date here (not `{gt}`), as in SAMA. */
export const ContactListRequest = Type.Object({ updated_at: Type.Optional(DateValue), limit: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });

/** `block_user` and `unblock_user` (protocol.md §3.3). */
export const BlockIdsRequest = Type.Object({ ids: Type.Array(Type.String({ minLength: 24, maxLength: 64 }), { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });

/** `block_list_enable`. */
export const BlockListEnableRequest = Type.Object({ enable: Type.Boolean() }, { additionalProperties: false });
