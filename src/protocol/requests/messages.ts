import { Type } from '@sinclair/typebox';
import { Attachment, Extras } from '../models.js';
import { DateRange, DateValue, IdString } from '../schemas.js';

/**
 * What a message says and where it goes: the fields `message` shares with Parley's
 * `parley_message_schedule`, which sends one later.
 */
export const MessageContentFields = {
  cid: IdString,
  body: Type.Optional(Type.String({ maxLength: 65536 })),
  attachments: Type.Optional(Type.Array(Attachment, { minItems: 1, maxItems: 100 })),
  x: Type.Optional(Extras),
  replied_message_id: Type.Optional(IdString),
  forwarded_message_id: Type.Optional(Type.String({ maxLength: 255 })),
};

/**
 * `message` (protocol.md §3.6): `body` and/or `attachments`. `id` is the client's message id:
 * a retry with the same id is stored once and answered with the original `ask`.
 */
export const MessageCreateRequest = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Client message id, echoed as `ask.mid`; resending it never stores a second copy.' })),
    ...MessageContentFields,
    deleted_for: Type.Optional(Type.Array(IdString, { maxItems: 1000 })),
    encrypted_message_type: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

/** `message_edit`: a new body for one's own message. */
export const MessageEditRequest = Type.Object({ id: IdString, body: Type.String({ maxLength: 65536 }) }, { additionalProperties: false });

/** `message_delete`: for oneself, or for everyone. */
export const MessageDeleteRequest = Type.Object(
  {
    cid: IdString,
    ids: Type.Array(IdString, { minItems: 1, maxItems: 100 }),
    type: Type.Union([Type.Literal('myself'), Type.Literal('all')]),
  },
  { additionalProperties: false },
);

/** `message_read`: the listed messages, or everything newer than the last read one. */
export const MessageReadRequest = Type.Object({ cid: IdString, ids: Type.Optional(Type.Array(IdString, { maxItems: 100 })) }, { additionalProperties: false });

/** `message_list`: newest first, or oldest first after `updated_at.gt`. */
export const MessageListRequest = Type.Object(
  {
    cid: IdString,
    limit: Type.Optional(Type.Integer({ minimum: 1 })),
    ids: Type.Optional(Type.Array(IdString, { maxItems: 100 })),
    updated_at: Type.Optional(DateRange),
  },
  { additionalProperties: false },
);

/**
 * `parley_message_search` (Parley's own; docs/protocol-extensions.md): full-text search over the
 * messages the caller can see, best first. `cursor` is the one the previous page returned.
 */
export const ParleyMessageSearchRequest = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 256, description: 'Words (all must occur) and "quoted phrases"; case does not matter, accents do.' }),
    cid: Type.Optional(IdString),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Hits per page, 20 when absent.' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The previous page\'s cursor, as it was returned.' })),
  },
  { additionalProperties: false },
);

/** `typing`: no reply on success. */
export const TypingRequest = Type.Object({ cid: IdString, status: Type.Optional(Type.String({ maxLength: 32, description: 'Clients send "start" or "stop".' })) }, { additionalProperties: false });

/** `system_message`: an unstored event to a conversation (`cid`) or to users (`uids`), not both. */
export const SystemMessageRequest = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 255 }),
    cid: Type.Optional(IdString),
    uids: Type.Optional(Type.Array(IdString, { maxItems: 20 })),
    x: Extras,
  },
  { additionalProperties: false },
);

/** `message_reactions_update`: `add` and/or `remove` one reaction. */
export const MessageReactionsUpdateRequest = Type.Object(
  { mid: IdString, add: Type.Optional(Type.String({ minLength: 1, maxLength: 10 })), remove: Type.Optional(Type.String({ minLength: 1, maxLength: 10 })) },
  { additionalProperties: false },
);

/** `message_reactions_list`. */
export const MessageReactionsListRequest = Type.Object({ mid: IdString }, { additionalProperties: false });

/** `message_decryption_failed`. */
export const MessageDecryptionFailedRequest = Type.Object({ cid: IdString, ids: Type.Array(IdString, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });

/** `message_summary` (AI). */
export const MessageSummaryRequest = Type.Object(
  {
    cid: IdString,
    filter: Type.Optional(Type.Union([Type.Literal('last-7-days'), Type.Literal('last-day'), Type.Literal('unreads')])),
  },
  { additionalProperties: false },
);

/** `message_tone` (AI). */
export const MessageToneRequest = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: 65536 }),
    tone: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('cringe')]),
  },
  { additionalProperties: false },
);

/**
 * `op_log_list` (protocol.md §3.10, §6): exactly one of `created_at.gt` / `created_at.lt`
 * (a missing one is answered 422 by the handler).
 */
export const OpLogListRequest = Type.Object(
  { created_at: Type.Optional(Type.Object({ gt: Type.Optional(DateValue), lt: Type.Optional(DateValue) }, { additionalProperties: false })) },
  { additionalProperties: false },
);
