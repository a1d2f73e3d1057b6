import { Type, type Static } from '@sinclair/typebox';
import { ImageObject } from './schemas.js';

/**
 * The records that replies and events carry (protocol.md §3, §4.1, §11), as the server renders
 * them. One schema per shape, shared by the reply and event schemas (replies.ts, events.ts), by
 * the server code that builds them, and by the client SDK (packages/client, whose types are
 * generated from these). A `title` names the shape in the generated client types.
 *
 * Objects the server builds itself are closed (`additionalProperties: false`), so a field added
 * on one side and not the other fails test/e2e/protocol-schemas.test.ts. Free-form parts a client
 * supplies (`x`, attachment extras) stay open.
 */

/** A record id: 24 lowercase hex characters (the default organization is `"default"`). */
const Id = Type.String();

/** An ISO-8601 UTC time with milliseconds, as `created_at`/`updated_at` are sent (protocol.md §0). */
export const IsoTime = Type.String();

/** Unix seconds (message `t`, activity times). */
export const UnixSeconds = Type.Number();

/** A conversation type: `u` private (two users), `g` group, `c` channel. */
export const ConversationType = Type.Union([Type.Literal('u'), Type.Literal('g'), Type.Literal('c')], { title: 'ConversationType' });

/** `{success: true}`: the reply of requests that only change something. */
export const Success = Type.Object({ success: Type.Literal(true) }, { additionalProperties: false, title: 'Success' });

/** The public user object (protocol.md §11.1): never organization or password fields. */
export const User = Type.Object(
  {
    _id: Id,
    native_id: Type.String({ description: 'The same value as `_id` (SAMA clients read either).' }),
    login: Type.String(),
    first_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()),
    recent_activity: Type.Number({ description: 'Unix seconds of the last time one of the user\'s sessions ended (or of sign-up).' }),
    avatar_object: Type.Optional(ImageObject),
    avatar_url: Type.Optional(Type.String({ description: 'A signed download URL of the avatar, where the server could sign one.' })),
    created_at: IsoTime,
    updated_at: IsoTime,
  },
  { additionalProperties: false, title: 'User', description: 'A user as every reply and event shows it (protocol.md §11.1).' },
);
export type UserWire = Static<typeof User>;

/**
 * A file reference inside a message (protocol.md §3.6). Keys other than these are kept and
 * relayed as the sender gave them.
 */
export const Attachment = Type.Object(
  {
    file_id: Type.Optional(Type.String({ maxLength: 255, description: 'The `object_id` of an uploaded file (create_files).' })),
    file_name: Type.Optional(Type.String({ maxLength: 255 })),
    file_blur_hash: Type.Optional(Type.String({ maxLength: 255 })),
    file_content_type: Type.Optional(Type.String({ maxLength: 255 })),
    file_size: Type.Optional(Type.Number({ minimum: 0, maximum: 104857601 })),
    file_width: Type.Optional(Type.Number({ minimum: 0, maximum: 10000 })),
    file_height: Type.Optional(Type.Number({ minimum: 0, maximum: 10000 })),
    file_url: Type.Optional(Type.String({ maxLength: 4096, description: 'Set by conversation-handler bots instead of a file id.' })),
  },
  { additionalProperties: true, title: 'Attachment' },
);
export type AttachmentWire = Static<typeof Attachment>;

/** Free-form extras of a message or system message, relayed verbatim. */
export const Extras = Type.Object({}, { additionalProperties: true, title: 'Extras', description: 'Free-form fields, stored and relayed as sent.' });

/** `{}` or `{own, total}`: the caller's reactions and the count of each reaction (protocol.md §3.6). */
export const ReactionSummary = Type.Object(
  {
    own: Type.Optional(Type.Array(Type.String(), { description: "The caller's own reactions, sorted." })),
    total: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'Reaction → how many users gave it.' })),
  },
  { additionalProperties: false, title: 'ReactionSummary' },
);

/** `sent`, or `read` once any recipient has read it (only on the caller's own messages). */
export const MessageStatus = Type.Union([Type.Literal('sent'), Type.Literal('read')], { title: 'MessageStatus' });

/**
 * A stored message as events and lists carry it (protocol.md §4.1, §3.6). `c_type` only in live
 * events; `status` (own messages) and `reactions` only in `message_list`.
 */
export const Message = Type.Object(
  {
    _id: Type.String({ description: "The server's message id." }),
    cid: Id,
    c_type: Type.Optional(ConversationType),
    from: Id,
    t: Type.Number({ description: 'Unix seconds, rounded up.' }),
    body: Type.Optional(Type.String()),
    attachments: Type.Optional(Type.Array(Attachment)),
    x: Extras,
    replied_message_id: Type.Optional(Type.String()),
    forwarded_message_id: Type.Optional(Type.String()),
    encrypted_message_type: Type.Optional(Type.Number()),
    created_at: IsoTime,
    updated_at: IsoTime,
    status: Type.Optional(MessageStatus),
    reactions: Type.Optional(ReactionSummary),
  },
  { additionalProperties: false, title: 'Message', description: 'A stored message (protocol.md §4.1).' },
);
export type MessageWire = Static<typeof Message>;

/** The newest message of a conversation, as `conversation_list` shows it. */
export const LastMessage = Type.Object(
  {
    _id: Type.String(),
    from: Id,
    t: UnixSeconds,
    body: Type.Optional(Type.String()),
    attachments: Type.Optional(Type.Array(Attachment)),
    status: MessageStatus,
    reactions: ReactionSummary,
  },
  { additionalProperties: false, title: 'LastMessage' },
);
export type LastMessageWire = Static<typeof LastMessage>;

/**
 * A conversation (protocol.md §3.4). `unread_messages_count` and `last_message` appear in
 * `conversation_list` and in the `conversation_updated` event sent to added users.
 */
export const Conversation = Type.Object(
  {
    _id: Id,
    type: ConversationType,
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    owner_id: Id,
    opponent_id: Type.Optional(Type.String({ description: 'The other side of a private (`u`) conversation.' })),
    image_object: Type.Optional(ImageObject),
    image_url: Type.Optional(Type.String()),
    is_encrypted: Type.Optional(Type.Boolean()),
    subscribers_count: Type.Optional(Type.Number({ description: 'Channels only.' })),
    organization_id: Type.String(),
    created_at: IsoTime,
    updated_at: IsoTime,
    unread_messages_count: Type.Optional(Type.Number()),
    last_message: Type.Optional(LastMessage),
  },
  { additionalProperties: false, title: 'Conversation', description: 'A conversation (protocol.md §3.4).' },
);
export type ConversationWire = Static<typeof Conversation>;

/** What a conversation handler made of the content, in `ask.modified` (protocol.md §8). */
export const MessageContent = Type.Object(
  { body: Type.Optional(Type.String()), attachments: Type.Optional(Type.Array(Attachment)) },
  { additionalProperties: false, title: 'MessageContent' },
);

/**
 * The acknowledgement of a stored message (protocol.md §3.6): sent only after the message is
 * committed. A retry with the same client `id` gets the same `server_mid` and `t`.
 */
export const Ask = Type.Object(
  {
    mid: Type.Optional(Type.String({ description: 'The client message id, when the message had one.' })),
    server_mid: Type.String({ description: "The stored message's `_id`." }),
    t: UnixSeconds,
    modified: Type.Union([MessageContent, Type.Null()], { description: "The stored content when the conversation's handler replaced it." }),
    bot_message: Type.Union([Message, Type.Null()], { description: "The conversation handler's bot reply, stored after the message." }),
  },
  { additionalProperties: false, title: 'Ask' },
);
export type AskWire = Static<typeof Ask>;

/** The acknowledgement of a custom system message: its id and time. */
export const SystemMessageAsk = Type.Object({ mid: Type.String(), t: UnixSeconds }, { additionalProperties: false, title: 'SystemMessageAsk' });

/** An announced file with its upload URL (protocol.md §3.7). `object_id` is the file id used everywhere else. */
export const UploadedFile = Type.Object(
  {
    _id: Id,
    organization_id: Type.String(),
    user_id: Id,
    name: Type.String(),
    size: Type.Number(),
    content_type: Type.String(),
    object_id: Type.String({ description: 'The file id used in attachments, avatars and images.' }),
    created_at: IsoTime,
    updated_at: IsoTime,
    upload_url: Type.String({ description: 'Where to PUT the bytes (exactly `size` of them).' }),
  },
  { additionalProperties: false, title: 'UploadedFile' },
);

/** A phone or e-mail entry of a contact; `matched_user_id` when it belongs to a user. */
export const ContactItem = Type.Object(
  { type: Type.String(), value: Type.String(), matched_user_id: Type.Optional(Type.String()) },
  { additionalProperties: false, title: 'ContactItem' },
);

/** An address-book entry (protocol.md §3.2). */
export const Contact = Type.Object(
  {
    _id: Id,
    organization_id: Type.String(),
    user_id: Type.Optional(Type.String({ description: 'The owner; absent in `contact_add` replies.' })),
    first_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
    company: Type.Optional(Type.String()),
    email: Type.Optional(Type.Array(ContactItem)),
    phone: Type.Optional(Type.Array(ContactItem)),
    created_at: IsoTime,
    updated_at: IsoTime,
  },
  { additionalProperties: false, title: 'Contact' },
);

/** A push subscription (protocol.md §3.9). */
export const PushSubscription = Type.Object(
  {
    _id: Id,
    organization_id: Type.String(),
    user_id: Id,
    platform: Type.Union([Type.Literal('web'), Type.Literal('ios'), Type.Literal('android')]),
    web_endpoint: Type.Optional(Type.String()),
    web_key_auth: Type.Optional(Type.String()),
    web_key_p256dh: Type.Optional(Type.String()),
    device_udid: Type.String(),
    device_token: Type.Optional(Type.String()),
    created_at: IsoTime,
    updated_at: IsoTime,
  },
  { additionalProperties: false, title: 'PushSubscription' },
);

/** A push event as `push_event_create` answers it; `message` is base64 of the JSON payload. */
export const PushEvent = Type.Object(
  { _id: Id, user_id: Id, user_ids: Type.Array(Type.String()), message: Type.String({ description: 'Base64 of the JSON notification.' }), created_at: IsoTime, updated_at: IsoTime },
  { additionalProperties: false, title: 'PushEvent' },
);

/**
 * A row of the operations log (protocol.md §6): a packet the user missed while no device of
 * theirs was connected. `packet` is the packet's JSON text, exactly as it would have been sent.
 */
export const OpLogEntry = Type.Object(
  { _id: Id, user_id: Id, packet: Type.String({ description: 'The missed packet as JSON text, e.g. `{"message":{…}}`.' }), created_at: IsoTime, updated_at: IsoTime },
  { additionalProperties: false, title: 'OpLogEntry' },
);

/** `{"<user id>": 0 | unix seconds}`: 0 is online now, otherwise when the user was last seen. */
export const LastActivity = Type.Record(Type.String(), Type.Number(), { title: 'LastActivity', description: 'User id → 0 (online now) or unix seconds of the last activity.' });

/** A conversation's handler script with its last failure (protocol.md §3.5). */
export const ConversationHandler = Type.Object(
  { content: Type.String(), updated_by: Type.String(), updated_at: IsoTime, last_error: Type.Optional(Type.String()), last_error_at: Type.Optional(IsoTime) },
  { additionalProperties: false, title: 'ConversationHandler' },
);

/** One of the caller's registered encryption devices (protocol.md §3.11). */
export const EncryptionDevice = Type.Object({ identity_key: Type.String(), signed_key: Type.String(), device_id: Type.String() }, { additionalProperties: false, title: 'EncryptionDevice' });

/** A key bundle handed out by `request_keys`; the one-time pre-key is consumed. */
export const KeyBundle = Type.Object(
  { identity_key: Type.String(), signed_key: Type.String(), one_time_pre_key: Type.Optional(Type.String()) },
  { additionalProperties: false, title: 'KeyBundle' },
);

/** A pending scheduled message as its author sees it (docs/protocol-extensions.md, "Scheduled messages"). */
export const ScheduledMessage = Type.Object(
  {
    id: Type.String({ description: "The client's message id: names the schedule; the sent message's `ask.mid`." }),
    cid: Id,
    body: Type.Optional(Type.String()),
    attachments: Type.Optional(Type.Array(Attachment)),
    x: Type.Optional(Extras),
    replied_message_id: Type.Optional(Type.String()),
    forwarded_message_id: Type.Optional(Type.String()),
    send_at: Type.Number({ description: 'When it is sent, epoch ms.' }),
    created_at: IsoTime,
  },
  { additionalProperties: false, title: 'ScheduledMessage' },
);

/** A personal data export job (docs/protocol-extensions.md, Personal data export and erasure). */
export const DataExport = Type.Object(
  {
    _id: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('ready'), Type.Literal('failed')]),
    created_at: Type.String(),
    updated_at: Type.String(),
    expires_at: Type.String({ description: 'The job, its archive and its URL are gone after this.' }),
    size: Type.Optional(Type.Integer({ description: 'Archive size in bytes, once ready.' })),
    url: Type.Optional(Type.String({ description: 'Signed download URL of the .tar.gz, while ready and not expired.' })),
  },
  { additionalProperties: false, title: 'DataExport' },
);
