import { Type, type Static } from '@sinclair/typebox';
import { Conversation, ConversationType, DataExport, LastActivity, Message, UnixSeconds } from './models.js';

/** `message_edit` (protocol.md §3.6): a message's new body. Not stored for offline users. */
export const MessageEditEvent = Type.Object(
  { id: Type.String(), cid: Type.String(), c_type: ConversationType, from: Type.String(), body: Type.String() },
  { additionalProperties: false, title: 'MessageEditEvent' },
);

/** `message_delete`: messages deleted for everyone. Not stored for offline users. */
export const MessageDeleteEvent = Type.Object(
  { ids: Type.Array(Type.String()), cid: Type.String(), c_type: ConversationType, from: Type.String(), type: Type.Literal('all') },
  { additionalProperties: false, title: 'MessageDeleteEvent' },
);

/** `message_read`: `from` read these messages of yours. Stored for offline authors. */
export const MessageReadEvent = Type.Object(
  { ids: Type.Array(Type.String()), cid: Type.String(), from: Type.String({ description: 'The reader.' }) },
  { additionalProperties: false, title: 'MessageReadEvent' },
);

/** `message_reactions_update`: only the parts that changed. Not in channels. */
export const MessageReactionsEvent = Type.Object(
  { mid: Type.String(), cid: Type.String(), c_type: ConversationType, from: Type.String(), add: Type.Optional(Type.String()), remove: Type.Optional(Type.String()) },
  { additionalProperties: false, title: 'MessageReactionsEvent' },
);

/** `message_decryption_failed`: a peer could not decrypt these messages. */
export const DecryptionFailedEvent = Type.Object({ ids: Type.Array(Type.String()), cid: Type.String(), from: Type.String() }, { additionalProperties: false, title: 'DecryptionFailedEvent' });

/** `typing`: a participant types (`status` as the typist sent it, usually start/stop). */
export const TypingEvent = Type.Object(
  { cid: Type.String(), c_type: ConversationType, from: Type.String(), t: UnixSeconds, status: Type.Optional(Type.String()) },
  { additionalProperties: false, title: 'TypingEvent' },
);

/**
 * `system_message`: a custom one (`x` as its sender gave it; `cid` when sent to a conversation),
 * or a conversation event (protocol.md §5.6), whose `x` holds one of `conversation_created`,
 * `conversation_updated`, `conversation_kicked` and whose `_id` and `cid` are the conversation id.
 * A custom system message's `x` comes from another client: check it before trusting it.
 */
export const SystemMessageEvent = Type.Object(
  {
    _id: Type.String(),
    from: Type.String(),
    t: UnixSeconds,
    cid: Type.Optional(Type.String()),
    x: Type.Object(
      {
        conversation_created: Type.Optional(Conversation),
        conversation_updated: Type.Optional(Conversation),
        conversation_kicked: Type.Optional(Conversation),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false, title: 'SystemMessageEvent' },
);
export type SystemMessageEventWire = Static<typeof SystemMessageEvent>;

/**
 * Every event the server sends unasked, by its top-level key (protocol.md §1.6): the value is the
 * event body. `message` includes participant system messages (`x.type`: added_participant,
 * removed_participant, left_participants, update_image). The client SDK's event types are
 * generated from these; test/e2e/protocol-schemas.test.ts checks real events against them.
 */
export const EventSchemas = {
  message: Message,
  message_edit: MessageEditEvent,
  message_delete: MessageDeleteEvent,
  message_read: MessageReadEvent,
  message_reactions_update: MessageReactionsEvent,
  message_decryption_failed: DecryptionFailedEvent,
  typing: TypingEvent,
  system_message: SystemMessageEvent,
  last_activity: LastActivity,
  /** Parley's own: an export the user asked for is ready (with its URL) or failed. Kept for offline users. */
  parley_data_export_ready: Type.Object({ export: DataExport }, { additionalProperties: false, title: 'DataExportReadyEvent' }),
} as const;

/** A server event name. */
export type EventName = keyof typeof EventSchemas;

/** The body of each server event, by name. */
export type Events = { [K in EventName]: Static<(typeof EventSchemas)[K]> };
