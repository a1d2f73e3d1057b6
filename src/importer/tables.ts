import type { Database } from '../store/sql/schema.js';

/**
 * The tables the importer writes, with each column's SQL type (PostgreSQL needs them to pass a
 * batch as one array per column) and the key that makes a row "already stored". The column lists
 * are checked against store/sql/schema.ts by the compiler: a column added there must be added here.
 */
export type ColumnType = 'text' | 'bigint' | 'integer';

export interface TableSpec<T> {
  readonly columns: { readonly [K in keyof T]-?: ColumnType };
  /** The primary key. */
  readonly key: readonly (keyof T & string)[];
}

type Specs = { readonly [T in ImportTable]: TableSpec<Database[T]> };

export type ImportTable =
  | 'organizations'
  | 'users'
  | 'user_tokens'
  | 'conversations'
  | 'conversation_participants'
  | 'conversation_handlers'
  | 'messages'
  | 'message_hidden'
  | 'message_statuses'
  | 'message_reactions'
  | 'files'
  | 'file_links'
  | 'contacts'
  | 'blocked_users'
  | 'push_subscriptions'
  | 'push_events'
  | 'encrypted_devices'
  | 'encrypted_pre_keys'
  | 'encrypted_inbox'
  | 'operations_log';

/** One row as written: column name → value. */
export type Row = Readonly<Record<string, string | number | null>>;

export const TABLES: Specs = {
  organizations: { columns: { id: 'text', name: 'text', created_at: 'bigint', updated_at: 'bigint' }, key: ['id'] },
  users: {
    columns: {
      id: 'text',
      organization_id: 'text',
      login: 'text',
      login_lower: 'text',
      email: 'text',
      phone: 'text',
      first_name: 'text',
      last_name: 'text',
      password_hash: 'text',
      recent_activity: 'bigint',
      avatar_object: 'text',
      created_at: 'bigint',
      updated_at: 'bigint',
    },
    key: ['id'],
  },
  user_tokens: { columns: { organization_id: 'text', user_id: 'text', device_id: 'text', type: 'text', token_hash: 'text', expires_at: 'bigint', created_at: 'bigint' }, key: ['user_id', 'device_id', 'type'] },
  conversations: {
    columns: {
      id: 'text',
      organization_id: 'text',
      type: 'text',
      name: 'text',
      description: 'text',
      owner_id: 'text',
      opponent_id: 'text',
      pair_key: 'text',
      image_object: 'text',
      is_encrypted: 'integer',
      participants_count: 'integer',
      created_at: 'bigint',
      updated_at: 'bigint',
    },
    key: ['id'],
  },
  conversation_participants: {
    columns: { conversation_id: 'text', user_id: 'text', organization_id: 'text', role: 'text', last_read_message_id: 'text', created_at: 'bigint', updated_at: 'bigint' },
    key: ['conversation_id', 'user_id'],
  },
  conversation_handlers: {
    columns: { conversation_id: 'text', organization_id: 'text', content: 'text', updated_by: 'text', created_at: 'bigint', updated_at: 'bigint', last_error: 'text', last_error_at: 'bigint' },
    key: ['conversation_id'],
  },
  messages: {
    columns: {
      id: 'text',
      organization_id: 'text',
      cid: 'text',
      from_id: 'text',
      client_id: 'text',
      body: 'text',
      attachments: 'text',
      x: 'text',
      replied_message_id: 'text',
      forwarded_message_id: 'text',
      encrypted_message_type: 'integer',
      t: 'bigint',
      created_at: 'bigint',
      updated_at: 'bigint',
    },
    key: ['id'],
  },
  message_hidden: { columns: { mid: 'text', user_id: 'text', cid: 'text' }, key: ['mid', 'user_id'] },
  message_statuses: { columns: { mid: 'text', cid: 'text', user_id: 'text', status: 'text', created_at: 'bigint' }, key: ['mid', 'user_id'] },
  message_reactions: { columns: { mid: 'text', cid: 'text', user_id: 'text', reaction: 'text', created_at: 'bigint' }, key: ['mid', 'user_id', 'reaction'] },
  files: {
    columns: { object_id: 'text', id: 'text', organization_id: 'text', user_id: 'text', name: 'text', size: 'bigint', content_type: 'text', uploaded_at: 'bigint', created_at: 'bigint', updated_at: 'bigint' },
    key: ['object_id'],
  },
  file_links: { columns: { object_id: 'text', organization_id: 'text', scope: 'text', created_at: 'bigint' }, key: ['object_id', 'scope'] },
  contacts: {
    columns: { id: 'text', organization_id: 'text', user_id: 'text', first_name: 'text', last_name: 'text', company: 'text', email: 'text', phone: 'text', created_at: 'bigint', updated_at: 'bigint' },
    key: ['id'],
  },
  blocked_users: { columns: { organization_id: 'text', user_id: 'text', blocked_user_id: 'text', enabled: 'integer', created_at: 'bigint' }, key: ['user_id', 'blocked_user_id'] },
  push_subscriptions: {
    columns: {
      id: 'text',
      organization_id: 'text',
      user_id: 'text',
      platform: 'text',
      device_udid: 'text',
      web_endpoint: 'text',
      web_key_auth: 'text',
      web_key_p256dh: 'text',
      device_token: 'text',
      created_at: 'bigint',
      updated_at: 'bigint',
    },
    key: ['id'],
  },
  push_events: { columns: { id: 'text', organization_id: 'text', user_id: 'text', user_ids: 'text', message: 'text', created_at: 'bigint', updated_at: 'bigint' }, key: ['id'] },
  encrypted_devices: {
    columns: { organization_id: 'text', user_id: 'text', device_id: 'text', identity_key: 'text', signed_key: 'text', created_at: 'bigint', updated_at: 'bigint', expires_at: 'bigint' },
    key: ['user_id', 'device_id'],
  },
  encrypted_pre_keys: { columns: { user_id: 'text', device_id: 'text', seq: 'integer', key_id: 'text', pre_key: 'text' }, key: ['user_id', 'device_id', 'seq'] },
  encrypted_inbox: { columns: { user_id: 'text', device_id: 'text', cid: 'text', mid: 'text', expires_at: 'bigint' }, key: ['user_id', 'device_id', 'cid', 'mid'] },
  operations_log: { columns: { id: 'text', organization_id: 'text', user_id: 'text', packet: 'text', created_at: 'bigint', expires_at: 'bigint' }, key: ['id'] },
};

/** The key of a row as one string (for matching rows a database reports as inserted). */
export function rowKey(table: ImportTable, row: Row): string {
  return TABLES[table].key.map((k) => String(row[k])).join('\u0000');
}
