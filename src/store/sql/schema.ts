/**
 * Table shapes as Kysely sees them. Both dialects use the same column names and kinds:
 * ids are text, times are epoch-ms integers (bigint in PostgreSQL, parsed to numbers),
 * JSON documents are text, flags are 0/1 integers.
 */
export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  organization_id: string;
  login: string;
  login_lower: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  password_hash: string;
  recent_activity: number;
  avatar_object: string | null;
  created_at: number;
  updated_at: number;
}

export interface UserTokensTable {
  organization_id: string;
  user_id: string;
  device_id: string;
  type: string;
  token_hash: string;
  expires_at: number;
  created_at: number;
}

export interface ConversationsTable {
  id: string;
  organization_id: string;
  type: string;
  name: string | null;
  description: string | null;
  owner_id: string;
  opponent_id: string | null;
  /** For private conversations: "<smaller id>:<larger id>:<0|1 encrypted>"; unique per org. */
  pair_key: string | null;
  image_object: string | null;
  is_encrypted: number;
  participants_count: number;
  created_at: number;
  updated_at: number;
}

export interface ConversationParticipantsTable {
  conversation_id: string;
  user_id: string;
  organization_id: string;
  role: string | null;
  last_read_message_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface OperationsLogTable {
  id: string;
  organization_id: string;
  user_id: string;
  packet: string;
  created_at: number;
  expires_at: number;
}

export interface MessagesTable {
  id: string;
  organization_id: string;
  cid: string;
  from_id: string;
  client_id: string | null;
  body: string | null;
  attachments: string | null;
  x: string | null;
  replied_message_id: string | null;
  forwarded_message_id: string | null;
  encrypted_message_type: number | null;
  t: number;
  created_at: number;
  updated_at: number;
}

/** "Deleted for myself": one row per (message, user) it is hidden from. */
export interface MessageHiddenTable {
  mid: string;
  user_id: string;
  cid: string;
}

export interface MessageStatusesTable {
  mid: string;
  cid: string;
  user_id: string;
  status: string;
  created_at: number;
}

export interface MessageReactionsTable {
  mid: string;
  cid: string;
  user_id: string;
  reaction: string;
  created_at: number;
}

export interface PushOutboxTable {
  id: string;
  organization_id: string;
  user_id: string;
  payload: string;
  attempts: number;
  /** Also the lease: a claimed row is due again only when its lease runs out. */
  next_attempt_at: number;
  created_at: number;
  /** JSON array of subscription ids already reached by earlier tries; null when none. */
  sent_to: string | null;
}

export interface PushSubscriptionsTable {
  id: string;
  organization_id: string;
  user_id: string;
  platform: string;
  device_udid: string;
  web_endpoint: string | null;
  web_key_auth: string | null;
  web_key_p256dh: string | null;
  device_token: string | null;
  created_at: number;
  updated_at: number;
}

export interface PushEventsTable {
  id: string;
  organization_id: string;
  user_id: string;
  /** JSON array of recipient ids. */
  user_ids: string;
  message: string;
  created_at: number;
  updated_at: number;
}

export interface BlockedUsersTable {
  organization_id: string;
  user_id: string;
  blocked_user_id: string;
  enabled: number;
  created_at: number;
}

export interface ContactsTable {
  id: string;
  organization_id: string;
  user_id: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  email: string | null;
  phone: string | null;
  created_at: number;
  updated_at: number;
}

export interface FilesTable {
  object_id: string;
  id: string;
  organization_id: string;
  user_id: string;
  name: string;
  size: number;
  content_type: string;
  uploaded_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface FileLinksTable {
  object_id: string;
  organization_id: string;
  scope: string;
  created_at: number;
}

export interface EncryptedDevicesTable {
  organization_id: string;
  user_id: string;
  device_id: string;
  identity_key: string;
  signed_key: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface EncryptedPreKeysTable {
  user_id: string;
  device_id: string;
  /** Position in the list the device sent; the lowest is handed out first. */
  seq: number;
  /** The key's name in the object form of `one_time_pre_keys`; null in the array form. */
  key_id: string | null;
  pre_key: string;
}

/** An encrypted message not yet listed by one device. */
export interface EncryptedInboxTable {
  user_id: string;
  device_id: string;
  cid: string;
  mid: string;
  expires_at: number;
}

export interface ConversationHandlersTable {
  conversation_id: string;
  organization_id: string;
  content: string;
  updated_by: string;
  created_at: number;
  updated_at: number;
  last_error: string | null;
  last_error_at: number | null;
}

export interface ScheduledMessagesTable {
  id: string;
  organization_id: string;
  /** The author. */
  user_id: string;
  cid: string;
  client_id: string;
  /** JSON text of the `message` packet body to send. */
  content: string;
  send_at: number;
  state: string;
  attempts: number;
  /** The node holding the dispatch lease, if any (kept after the lease for the record). */
  claimed_by: string | null;
  claimed_until: number | null;
  server_mid: string | null;
  error: string | null;
  finished_at: number | null;
  created_at: number;
}

/** A retention period: the organization's default (scope '*') or one conversation's. */
export interface RetentionPoliciesTable {
  organization_id: string;
  scope: string;
  seconds: number;
  updated_at: number;
}

/** A personal data export job (store/exports.ts). */
export interface DataExportsTable {
  id: string;
  organization_id: string;
  user_id: string;
  requested_by: string;
  status: string;
  lease_until: number | null;
  size: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/** Every table; feature modules add theirs here. */
export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  conversations: ConversationsTable;
  conversation_participants: ConversationParticipantsTable;
  operations_log: OperationsLogTable;
  messages: MessagesTable;
  message_hidden: MessageHiddenTable;
  message_statuses: MessageStatusesTable;
  message_reactions: MessageReactionsTable;
  push_outbox: PushOutboxTable;
  push_subscriptions: PushSubscriptionsTable;
  push_events: PushEventsTable;
  blocked_users: BlockedUsersTable;
  contacts: ContactsTable;
  files: FilesTable;
  file_links: FileLinksTable;
  encrypted_devices: EncryptedDevicesTable;
  encrypted_pre_keys: EncryptedPreKeysTable;
  encrypted_inbox: EncryptedInboxTable;
  conversation_handlers: ConversationHandlersTable;
  scheduled_messages: ScheduledMessagesTable;
  retention_policies: RetentionPoliciesTable;
  data_exports: DataExportsTable;
}
