import { Type, type Static } from '@sinclair/typebox';
import {
  Ask,
  Contact,
  Conversation,
  DataExport,
  ConversationHandler,
  EncryptionDevice,
  KeyBundle,
  LastActivity,
  Message,
  OpLogEntry,
  PushEvent,
  PushSubscription,
  ScheduledMessage,
  Success,
  SystemMessageAsk,
  UploadedFile,
  User,
} from './models.js';
import type { PacketName } from './requests/index.js';

const users = Type.Object({ users: Type.Array(User) }, { additionalProperties: false });
const userReply = Type.Object({ user: User }, { additionalProperties: false });
const conversationReply = Type.Object({ conversation: Conversation }, { additionalProperties: false });
const byCids = Type.Object(
  { users: Type.Array(User), conversations: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Conversation id → user ids.' }) },
  { additionalProperties: false },
);
const lastActivity = Type.Object({ last_activity: LastActivity }, { additionalProperties: false });
const contactReply = Type.Object({ contact: Contact }, { additionalProperties: false });
const contactsReply = Type.Object({ contacts: Type.Array(Contact) }, { additionalProperties: false });
const retentionReply = Type.Object(
  {
    retention: Type.Object(
      {
        cid: Type.String(),
        seconds: Type.Union([Type.Integer(), Type.Null()], { description: "The conversation's own period; null when it has none." }),
        organization_seconds: Type.Union([Type.Integer(), Type.Null()], { description: "The organization's default; null when none is set." }),
        effective_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'The period in force: the conversation\'s own, else the organization\'s; null: messages are kept.' }),
      },
      { additionalProperties: false, title: 'ConversationRetention' },
    ),
  },
  { additionalProperties: false },
);
const aiText = Type.Object({ message: Type.String() }, { additionalProperties: false });
const searchHit = Type.Object(
  {
    message: Message,
    snippet: Type.String({ description: 'The body around the first match, with … where it was cut.' }),
    highlights: Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 }), { description: 'Matched words as [start, end) UTF-16 offsets into snippet.' }),
  },
  { additionalProperties: false, title: 'SearchHit' },
);

/**
 * The success reply of every client packet, by packet name: the fields beside `id` in
 * `{"response":{"id":…, …}}`, except `message` and `system_message`, which are acknowledged by a
 * top-level `ask` (protocol.md §1.4), and `typing`, which gets no reply. The client SDK's reply
 * types are generated from these; test/e2e/protocol-schemas.test.ts checks real replies against them.
 */
export const ReplySchemas = {
  ping: Type.Object({ pong: Type.Object({}, { additionalProperties: false }) }, { additionalProperties: false }),
  user_create: userReply,
  user_login: Type.Object({ user: User, token: Type.String({ description: 'An access token for `connect` and token logins.' }) }, { additionalProperties: false }),
  connect: Success,
  user_logout: Success,
  user_edit: userReply,
  user_delete: Success,
  get_users_by_ids: users,
  user_search: users,
  user_send_otp: Success,
  user_reset_password: Success,
  conversation_create: conversationReply,
  conversation_update: Type.Union([conversationReply, Type.Object({ deleted: Type.Literal(true) }, { additionalProperties: false })], { description: '`deleted` when the update removed every participant.' }),
  conversation_delete: Success,
  conversation_list: Type.Object({ conversations: Type.Array(Conversation) }, { additionalProperties: false }),
  conversation_search: Type.Object({ conversations: Type.Array(Type.String(), { description: 'Conversation ids.' }) }, { additionalProperties: false }),
  get_participants_by_cids: byCids,
  get_admins_by_cids: byCids,
  conversation_subscribe: Success,
  conversation_unsubscribe: Success,
  conversation_handler_create: Success,
  get_conversation_handler: Type.Object({ conversation_handler: ConversationHandler }, { additionalProperties: false }),
  conversation_handler_delete: Success,
  message: Ask,
  message_edit: Success,
  message_delete: Success,
  message_read: Success,
  message_list: Type.Object({ messages: Type.Array(Message) }, { additionalProperties: false }),
  typing: Type.Never({ description: 'No reply on success.' }),
  system_message: SystemMessageAsk,
  message_reactions_update: Success,
  message_reactions_list: Type.Object({ reactions: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Reaction → user ids.' }) }, { additionalProperties: false }),
  message_decryption_failed: Success,
  message_summary: aiText,
  message_tone: aiText,
  parley_message_search: Type.Object(
    { hits: Type.Array(searchHit, { description: 'Best first.' }), cursor: Type.Optional(Type.String({ description: 'Present when more hits may follow: send it back for the next page.' })) },
    { additionalProperties: false },
  ),
  op_log_list: Type.Object({ logs: Type.Array(OpLogEntry) }, { additionalProperties: false }),
  create_files: Type.Object({ files: Type.Array(UploadedFile) }, { additionalProperties: false }),
  get_file_urls: Type.Object({ file_urls: Type.Record(Type.String(), Type.String(), { description: 'File id → signed download URL.' }) }, { additionalProperties: false }),
  block_user: Success,
  unblock_user: Success,
  list_blocked_users: Type.Object({ users: Type.Array(Type.String(), { description: 'Blocked user ids.' }) }, { additionalProperties: false }),
  block_list_enable: Success,
  user_last_activity_subscribe: lastActivity,
  user_last_activity_unsubscribe: Success,
  user_last_activity: lastActivity,
  online_list: Type.Union([
    Type.Object({ count: Type.Number() }, { additionalProperties: false }),
    Type.Object({ users: Type.Union([Type.Array(User), Type.Array(Type.String())], { description: 'User ids with `idsOnly`.' }) }, { additionalProperties: false }),
  ]),
  activity_status: Success,
  contact_add: contactReply,
  contact_batch_add: contactsReply,
  contact_update: contactReply,
  contact_delete: Success,
  contact_list: contactsReply,
  push_subscription_create: Type.Object({ subscription: PushSubscription }, { additionalProperties: false }),
  push_subscription_list: Type.Object({ subscriptions: Type.Array(PushSubscription) }, { additionalProperties: false }),
  push_subscription_delete: Success,
  push_event_create: Type.Object({ event: PushEvent }, { additionalProperties: false }),
  device_register: Success,
  device_list: Type.Object({ devices: Type.Array(EncryptionDevice) }, { additionalProperties: false }),
  request_keys: Type.Object({ devices: Type.Record(Type.String(), Type.Array(KeyBundle), { description: 'User id → one bundle per device.' }) }, { additionalProperties: false }),
  device_delete: Success,
  parley_message_schedule: Type.Object({ scheduled_message: ScheduledMessage }, { additionalProperties: false, description: 'Sent once the schedule is committed.' }),
  parley_scheduled_list: Type.Object(
    { scheduled_messages: Type.Array(ScheduledMessage), next: Type.Optional(Type.String({ description: 'Cursor of the next page (`after`); absent on the last page.' })) },
    { additionalProperties: false },
  ),
  parley_scheduled_cancel: Success,
  parley_conversation_retention: retentionReply,
  parley_data_export: Type.Object({ export: DataExport }, { additionalProperties: false }),
  parley_data_export_status: Type.Object({ export: DataExport }, { additionalProperties: false }),
} as const satisfies Record<PacketName, unknown>;

/** The success reply of each client packet, by name. */
export type Replies = { [K in PacketName]: Static<(typeof ReplySchemas)[K]> };

/** An error as it travels: `{status, message}` from the catalog, or a bare validator string (protocol.md §1.5). */
export const WireError = Type.Union([Type.Object({ status: Type.Number(), message: Type.String() }, { additionalProperties: false }), Type.String()], { title: 'WireError' });
