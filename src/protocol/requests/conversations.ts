import { Type } from '@sinclair/typebox';
import { ConversationType } from '../models.js';
import { DateRange, DateValue, IdString, ImageObject } from '../schemas.js';

/** `conversation_create` (protocol.md §3.4). `name` is required for groups and channels (checked by the handler's error mapping). */
export const ConversationCreateRequest = Type.Object(
  {
    type: ConversationType,
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    participants: Type.Optional(Type.Array(IdString, { maxItems: 1000 })),
    opponent_id: Type.Optional(IdString),
    image_object: Type.Optional(ImageObject),
    is_encrypted: Type.Optional(Type.Boolean()),
    owner_id: Type.Optional(Type.Unknown({ description: 'Ignored: the caller is always the owner.' })),
  },
  { additionalProperties: false },
);

const IdChanges = Type.Object({ add: Type.Optional(Type.Array(IdString, { maxItems: 1000 })), remove: Type.Optional(Type.Array(IdString, { maxItems: 1000 })) }, { additionalProperties: false });

/** `conversation_update`: fields, and participants/admins to add or remove. */
export const ConversationUpdateRequest = Type.Object(
  {
    id: IdString,
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    image_object: Type.Optional(ImageObject),
    participants: Type.Optional(IdChanges),
    admins: Type.Optional(IdChanges),
  },
  { additionalProperties: false },
);

/** `conversation_delete`: leaves the conversation (SAMA's meaning). */
export const ConversationLeaveRequest = Type.Object({ id: IdString }, { additionalProperties: false });

/** `conversation_list`: newest created first; `updated_at` filters on the conversation's last activity. */
export const ConversationListRequest = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1 })),
    updated_at: Type.Optional(DateRange),
    ids: Type.Optional(Type.Array(IdString, { maxItems: 10 })),
  },
  { additionalProperties: false },
);

/** `conversation_search`: named conversations whose name contains `name`; answers ids. */
export const ConversationSearchRequest = Type.Object(
  {
    name: Type.String({ maxLength: 255 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    updated_at: Type.Optional(Type.Object({ gt: Type.Optional(DateValue) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** `get_participants_by_cids` and `get_admins_by_cids`. */
export const ByCidsRequest = Type.Object({ cids: Type.Array(IdString, { maxItems: 100 }) }, { additionalProperties: false });

/** A body naming one conversation: `conversation_subscribe`, `conversation_unsubscribe`, handler reads and deletes. */
export const CidRequest = Type.Object({ cid: IdString }, { additionalProperties: false });

/** `conversation_handler_create`: the handler's JavaScript source (protocol.md §8). */
export const ConversationHandlerCreateRequest = Type.Object({ cid: IdString, content: Type.String() }, { additionalProperties: false });
