import type { Static } from '@sinclair/typebox';
import { BlockIdsRequest, BlockListEnableRequest, ContactAddRequest, ContactBatchAddRequest, ContactDeleteRequest, ContactListRequest, ContactUpdateRequest } from './contacts.js';
import { ByCidsRequest, CidRequest, ConversationCreateRequest, ConversationHandlerCreateRequest, ConversationLeaveRequest, ConversationListRequest, ConversationSearchRequest, ConversationUpdateRequest } from './conversations.js';
import { DeviceDeleteRequest, DeviceRegisterRequest, PushEventCreateRequest, PushSubscriptionCreateRequest, PushSubscriptionDeleteRequest, PushSubscriptionListRequest, RequestKeysRequest } from './devices.js';
import { CreateFilesRequest, GetFileUrlsRequest } from './files.js';
import {
  MessageCreateRequest,
  MessageDecryptionFailedRequest,
  MessageDeleteRequest,
  MessageEditRequest,
  MessageListRequest,
  MessageReactionsListRequest,
  MessageReactionsUpdateRequest,
  MessageReadRequest,
  MessageSummaryRequest,
  MessageToneRequest,
  OpLogListRequest,
  ParleyMessageSearchRequest,
  SystemMessageRequest,
  TypingRequest,
} from './messages.js';
import { ActivityStatusRequest, EmptyRequest, LastActivityRequest, LastActivitySubscribeRequest, OnlineListRequest, PingRequest } from './presence.js';
import { MessageScheduleRequest, ScheduledCancelRequest, ScheduledListRequest } from './scheduled.js';
import { DataExportRequest, DataExportStatusRequest } from './privacy.js';
import { ConversationRetentionRequest } from './retention.js';
import { ConnectRequest, EmptyOpenRequest, GetUsersByIdsRequest, UserCreateRequest, UserEditRequest, UserLoginRequest, UserResetPasswordRequest, UserSearchRequest, UserSendOtpRequest } from './users.js';

export * from './contacts.js';
export * from './conversations.js';
export * from './devices.js';
export * from './files.js';
export * from './messages.js';
export * from './presence.js';
export * from './scheduled.js';
export * from './privacy.js';
export * from './retention.js';
export * from './users.js';

/**
 * Every client packet's body schema, by packet name (protocol.md §3). The server's handlers
 * validate with these (handlers/**); the client SDK's request types are generated from them.
 * test/e2e/protocol-schemas.test.ts checks that the handler registry and this map name the same
 * packets with the same schemas.
 */
export const RequestSchemas = {
  ping: PingRequest,
  user_create: UserCreateRequest,
  user_login: UserLoginRequest,
  connect: ConnectRequest,
  user_logout: EmptyOpenRequest,
  user_edit: UserEditRequest,
  user_delete: EmptyOpenRequest,
  get_users_by_ids: GetUsersByIdsRequest,
  user_search: UserSearchRequest,
  user_send_otp: UserSendOtpRequest,
  user_reset_password: UserResetPasswordRequest,
  conversation_create: ConversationCreateRequest,
  conversation_update: ConversationUpdateRequest,
  conversation_delete: ConversationLeaveRequest,
  conversation_list: ConversationListRequest,
  conversation_search: ConversationSearchRequest,
  get_participants_by_cids: ByCidsRequest,
  get_admins_by_cids: ByCidsRequest,
  conversation_subscribe: CidRequest,
  conversation_unsubscribe: CidRequest,
  conversation_handler_create: ConversationHandlerCreateRequest,
  get_conversation_handler: CidRequest,
  conversation_handler_delete: CidRequest,
  message: MessageCreateRequest,
  message_edit: MessageEditRequest,
  message_delete: MessageDeleteRequest,
  message_read: MessageReadRequest,
  message_list: MessageListRequest,
  typing: TypingRequest,
  system_message: SystemMessageRequest,
  message_reactions_update: MessageReactionsUpdateRequest,
  message_reactions_list: MessageReactionsListRequest,
  message_decryption_failed: MessageDecryptionFailedRequest,
  message_summary: MessageSummaryRequest,
  message_tone: MessageToneRequest,
  parley_message_search: ParleyMessageSearchRequest,
  op_log_list: OpLogListRequest,
  create_files: CreateFilesRequest,
  get_file_urls: GetFileUrlsRequest,
  block_user: BlockIdsRequest,
  unblock_user: BlockIdsRequest,
  list_blocked_users: EmptyRequest,
  block_list_enable: BlockListEnableRequest,
  user_last_activity_subscribe: LastActivitySubscribeRequest,
  user_last_activity_unsubscribe: EmptyRequest,
  user_last_activity: LastActivityRequest,
  online_list: OnlineListRequest,
  activity_status: ActivityStatusRequest,
  contact_add: ContactAddRequest,
  contact_batch_add: ContactBatchAddRequest,
  contact_update: ContactUpdateRequest,
  contact_delete: ContactDeleteRequest,
  contact_list: ContactListRequest,
  push_subscription_create: PushSubscriptionCreateRequest,
  push_subscription_list: PushSubscriptionListRequest,
  push_subscription_delete: PushSubscriptionDeleteRequest,
  push_event_create: PushEventCreateRequest,
  device_register: DeviceRegisterRequest,
  device_list: EmptyRequest,
  request_keys: RequestKeysRequest,
  device_delete: DeviceDeleteRequest,
  parley_message_schedule: MessageScheduleRequest,
  parley_scheduled_list: ScheduledListRequest,
  parley_scheduled_cancel: ScheduledCancelRequest,
  parley_conversation_retention: ConversationRetentionRequest,
  parley_data_export: DataExportRequest,
  parley_data_export_status: DataExportStatusRequest,
} as const;

/** A client packet name. */
export type PacketName = keyof typeof RequestSchemas;

/** The body of each client packet, by name. */
export type Requests = { [K in PacketName]: Static<(typeof RequestSchemas)[K]> };
