/**
 * Store ports: narrow, per-entity interfaces that handlers and domain code depend on.
 * Implementations live in store/sql (shared Kysely code) with a dialect in store/sqlite or
 * store/postgres; only main.ts picks one. The contract suite in store/contract runs against both.
 *
 * Conventions for every port:
 * - every query is scoped by organization id where the entity has one; nothing crosses orgs;
 * - times are epoch milliseconds (numbers); the wire layer turns them into ISO strings;
 * - a method resolves only after its change is committed (an ack means durable);
 * - unique-key clashes reject with `ConflictError`, never with a driver error.
 */

import type { AdminStore } from './admin.js';
import type { ConversationHandlerRecord, ConversationHandlerStore } from './conversation-handlers.js';
import type { DataExportStore } from './exports.js';
import type { EncryptedDeviceStore, EncryptedInboxStore, InboxEntry } from './encryption.js';
import type { PushEventStore, PushOutboxRecord, PushOutboxStore, PushSubscriptionStore } from './push.js';
import type { RetentionStore } from './retention.js';
import type { ScheduledMessageStore } from './scheduled-messages.js';
import type { MessageSearchStore } from './search.js';

export type * from './admin.js';
export type * from './conversation-handlers.js';
export type * from './encryption.js';
export type * from './exports.js';
export type * from './push.js';
export type * from './retention.js';
export type * from './scheduled-messages.js';
export type * from './search.js';

/** Thrown by a store when a write would break a unique key (login taken, name taken, ...). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(readonly constraint: string) {
    super(`unique constraint violated: ${constraint}`);
  }
}

/** `{file_id?, file_name?, file_blur_hash?}` as stored for avatars and conversation images. */
export interface ImageRef {
  file_id?: string;
  file_name?: string;
  file_blur_hash?: string;
}

export interface OrganizationRecord {
  readonly _id: string;
  readonly name: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Organizations: the top-level tenant; every other record belongs to one. */
export interface OrganizationStore {
  /** Creates an organization; ConflictError('organization_name') if the name is taken. */
  insert(org: { _id: string; name: string; now: number }): Promise<OrganizationRecord>;
  byId(id: string): Promise<OrganizationRecord | undefined>;
  byName(name: string): Promise<OrganizationRecord | undefined>;
  /** Renames; undefined if there is no such organization, ConflictError('organization_name') if the name is taken. */
  rename(id: string, name: string, now: number): Promise<OrganizationRecord | undefined>;
}

export interface UserRecord {
  readonly _id: string;
  readonly organization_id: string;
  readonly login: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly password_hash: string;
  readonly recent_activity: number;
  readonly avatar_object: ImageRef | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Fields a user edit may change; `undefined` leaves a field as it is, `null` clears it. */
export interface UserPatch {
  login?: string;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  password_hash?: string;
  avatar_object?: ImageRef | null;
}

export interface UserSearch {
  /** Case-insensitive substring of login, first or last name (matched literally). */
  keyword: string;
  limit: number;
  updatedAfter?: number;
  excludeIds: readonly string[];
}

/**
 * Users. Login is unique per organization ignoring case; e-mail and phone are unique per
 * organization when set (ConflictError('user_login' | 'user_email' | 'user_phone')).
 */
export interface UserStore {
  insert(user: Omit<UserRecord, 'updated_at'>): Promise<UserRecord>;
  byId(orgId: string, id: string): Promise<UserRecord | undefined>;
  byLogin(orgId: string, login: string): Promise<UserRecord | undefined>;
  byEmail(orgId: string, email: string): Promise<UserRecord | undefined>;
  /** Existing users among `ids`, newest id first; unknown ids are skipped. */
  byIds(orgId: string, ids: readonly string[]): Promise<UserRecord[]>;
  /** Applies the patch and returns the new row, or undefined if the user does not exist. */
  update(orgId: string, id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined>;
  /** Deletes the user; true if a row was removed. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Ordered by first_name descending, then last_name and login ascending (SAMA's order). */
  search(orgId: string, query: UserSearch): Promise<UserRecord[]>;
  /** Users of the organization whose e-mail is among `emails` or phone among `phones` (address-book matching). */
  byEmailsOrPhones(orgId: string, emails: readonly string[], phones: readonly string[]): Promise<UserRecord[]>;
  /** Sets `recent_activity` (unix seconds) without touching `updated_at`. */
  setRecentActivity(orgId: string, id: string, unixSeconds: number): Promise<void>;
  /**
   * Replaces the password hash only while it still equals `expected` (a hash upgrade after a
   * login must not undo a password change made meanwhile), without touching `updated_at`: the
   * password is the same, only its encoding changes. True if the row was changed.
   */
  replacePasswordHash(orgId: string, id: string, expected: string, next: string): Promise<boolean>;
}

export type TokenType = 'access' | 'refresh' | 'otp';

export interface TokenRecord {
  readonly organization_id: string;
  readonly user_id: string;
  readonly device_id: string;
  readonly type: TokenType;
  /** SHA-256 of the token (hex); tokens themselves are never stored. */
  readonly token_hash: string;
  readonly expires_at: number;
  readonly created_at: number;
}

/**
 * Tokens: at most one live token per (user, device, type). `put` replaces the previous one, so a
 * new login rotates the device's tokens and the old ones stop working at once.
 */
export interface TokenStore {
  put(token: TokenRecord): Promise<void>;
  /** The live (unexpired at `now`) token with this hash and type, if any. */
  find(type: TokenType, tokenHash: string, now: number): Promise<TokenRecord | undefined>;
  /** The live token of this type for (user, device), if any. */
  forDevice(userId: string, deviceId: string, type: TokenType, now: number): Promise<TokenRecord | undefined>;
  /** Revokes every token of one device (logout). */
  deleteDevice(userId: string, deviceId: string): Promise<void>;
  /** Revokes every token of a user (deletion), or of all devices but `exceptDeviceId` (password change). */
  deleteUser(userId: string, exceptDeviceId?: string): Promise<void>;
  /** Removes expired rows; returns how many. */
  sweep(now: number): Promise<number>;
}

/** Thrown when adding participants would pass the configured cap; nothing was added. */
export class LimitError extends Error {
  override name = 'LimitError';
  constructor(readonly limit: number) {
    super(`participant limit ${limit} reached`);
  }
}

export type ConversationType = 'u' | 'g' | 'c';
export type ParticipantRole = 'owner' | 'admin' | null;

export interface ConversationRecord {
  readonly _id: string;
  readonly organization_id: string;
  readonly type: ConversationType;
  readonly name: string | null;
  readonly description: string | null;
  readonly owner_id: string;
  /** The other side of a private ('u') conversation; null for groups and channels. */
  readonly opponent_id: string | null;
  readonly image_object: ImageRef | null;
  readonly is_encrypted: boolean;
  /** Current number of participant rows (maintained by ParticipantStore; channels show it as subscribers_count). */
  readonly participants_count: number;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Fields `conversation_update` may change; undefined leaves a field as it is. */
export interface ConversationPatch {
  name?: string | null;
  description?: string | null;
  image_object?: ImageRef | null;
  owner_id?: string;
}

export interface ConversationListQuery {
  limit: number;
  updatedAfter?: number;
  updatedBefore?: number;
  /** Restrict to these ids (still only conversations the user belongs to). */
  ids?: readonly string[];
}

/**
 * Conversations. A private conversation is unique per unordered user pair and encryption flag
 * within an organization (ConflictError('private_pair') on a concurrent duplicate create).
 */
export interface ConversationStore {
  /** Creates the conversation and its participant rows in one transaction. */
  create(conv: Omit<ConversationRecord, 'participants_count' | 'updated_at'>, participants: readonly { user_id: string; role: ParticipantRole }[]): Promise<ConversationRecord>;
  byId(orgId: string, id: string): Promise<ConversationRecord | undefined>;
  /** The private conversation between two users (either direction) with this encryption flag. */
  privateBetween(orgId: string, a: string, b: string, encrypted: boolean): Promise<ConversationRecord | undefined>;
  update(orgId: string, id: string, patch: ConversationPatch, now: number): Promise<ConversationRecord | undefined>;
  /** Sets updated_at (e.g. to the newest message's created_at); never moves it backwards. */
  touch(orgId: string, id: string, updatedAt: number): Promise<void>;
  /** Deletes the conversation and everything stored under it (participants, messages, statuses, reactions). */
  delete(orgId: string, id: string): Promise<void>;
  /** Conversations the user participates in, newest id first (SAMA's order). */
  listForUser(orgId: string, userId: string, query: ConversationListQuery): Promise<ConversationRecord[]>;
  /**
   * Ids of named conversations whose name contains `name` (case-insensitive, literal), newest
   * updated_at first. With `visibleTo`, only channels and conversations that user is in.
   */
  searchByName(orgId: string, query: { name: string; limit: number; updatedAfter?: number; visibleTo?: string }): Promise<string[]>;
  /**
   * What a new message's checks read about its conversation, for `senderId`: the same answers
   * as byId, ParticipantStore.list, ConversationHandlerStore.byConversation and, for a private
   * conversation, BlockStore.blockedEitherWay between the sender and the other side. PostgreSQL
   * answers in one statement (one round trip instead of four), which is most of a message's
   * reads in a cluster; undefined when the conversation is not in the organization.
   *
   * With `mayBeStale`, a store may answer from a node's cache (PostgreSQL in a cluster:
   * SendViewCache); such an answer carries `version`, and the caller must hand it to
   * MessageStore.insert as an InsertGuard, which refuses a message checked against an outdated
   * view and has it checked again. Without it the answer is current.
   */
  sendView(orgId: string, cid: string, senderId: string, mayBeStale?: boolean): Promise<SendView | undefined>;
}

/** See ConversationStore.sendView. */
export interface SendView {
  readonly conversation: ConversationRecord;
  /** Every membership row, oldest first (ParticipantStore.list). */
  readonly participants: readonly ParticipantRecord[];
  readonly handler: ConversationHandlerRecord | undefined;
  /** A private conversation whose two sides block each other either way; false for the rest. */
  readonly blocked: boolean;
  /**
   * The conversation's view version (PostgreSQL: conversations.view_version, bumped by every
   * change to what this view holds); absent where views cannot go stale (one node).
   */
  readonly version?: number;
}

export interface ParticipantRecord {
  readonly conversation_id: string;
  readonly user_id: string;
  readonly organization_id: string;
  readonly role: ParticipantRole;
  /** Id of the newest message this user has read in the conversation (for unread counts). */
  readonly last_read_message_id: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Membership rows, one per (conversation, user). Every change keeps participants_count exact. */
export interface ParticipantStore {
  /**
   * Adds users not yet present (existing rows are left as they are) and returns the ids actually
   * added. With `max`, throws LimitError and adds nothing if the count would pass it.
   */
  add(orgId: string, cid: string, users: readonly { user_id: string; role: ParticipantRole }[], now: number, max?: number): Promise<string[]>;
  /** Removes these users; returns the ids actually removed. */
  remove(orgId: string, cid: string, userIds: readonly string[]): Promise<string[]>;
  get(cid: string, userId: string): Promise<ParticipantRecord | undefined>;
  /** All rows of a conversation, oldest membership first. */
  list(cid: string): Promise<ParticipantRecord[]>;
  /** Rows of several conversations of one organization. */
  forConversations(orgId: string, cids: readonly string[]): Promise<ParticipantRecord[]>;
  setRole(cid: string, userIds: readonly string[], role: ParticipantRole, now: number): Promise<void>;
  /** Moves the read marker forward only (a smaller id is ignored). */
  markRead(cid: string, userId: string, messageId: string): Promise<void>;
}

export interface OpLogRecord {
  readonly _id: string;
  readonly organization_id: string;
  readonly user_id: string;
  /** JSON text of the packet that could not be delivered live. */
  readonly packet: string;
  readonly created_at: number;
  readonly expires_at: number;
}

/** The operations log: a per-user mailbox of packets missed while fully offline (protocol.md §6). */
export interface OpLogStore {
  /** Appends rows; a row whose id is already stored is skipped (a recovery row written twice). */
  append(rows: readonly OpLogRecord[]): Promise<void>;
  /** Up to `limit` live rows of a user created after `gt` (ascending) or before `lt` (descending then returned ascending). */
  list(orgId: string, userId: string, query: { gt?: number; lt?: number; limit: number }, now: number): Promise<OpLogRecord[]>;
  /** Removes expired rows; returns how many. */
  sweep(now: number): Promise<number>;
}

export interface MessageRecord {
  /** Made with newId()/newIdAt(created_at): it embeds the creation second, which list queries rely on. */
  readonly _id: string;
  readonly organization_id: string;
  readonly cid: string;
  readonly from: string;
  /** The sender's client id (`message.id`); with (cid, from) it makes retries idempotent. */
  readonly client_id: string | null;
  readonly body: string | null;
  readonly attachments: readonly Record<string, unknown>[] | null;
  readonly x: Record<string, unknown> | null;
  readonly replied_message_id: string | null;
  readonly forwarded_message_id: string | null;
  readonly encrypted_message_type: number | null;
  /** Unix seconds, rounded up (protocol.md §0). */
  readonly t: number;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface MessageListQuery {
  limit: number;
  /** Only messages created at or after this (epoch ms): a retention period's cut-off. */
  createdFrom?: number;
  ids?: readonly string[];
  /** Messages updated after this (epoch ms), returned oldest first by created_at. */
  updatedAfter?: number;
  /** Messages updated before this (epoch ms), newest first. */
  updatedBefore?: number;
}

/**
 * Messages. `insert` is group-committed: concurrent inserts share one transaction, and each
 * promise resolves only after that transaction committed (an ack means durable). A retry with the
 * same (cid, from, client_id) returns the stored message with `duplicate: true` instead of a copy.
 */
/** A stored message as the next one of its conversation names it: its id and creation time. */
export interface MessageLink {
  readonly id: string;
  readonly createdAt: number;
}

/** What `MessageStore.insert` reports. */
export interface MessageInsert {
  /** The stored message: the draft (its id possibly moved, see below), or the duplicate found. */
  readonly record: MessageRecord;
  /** True when a message with the same cid, sender and client id was already stored. */
  readonly duplicate: boolean;
  /**
   * Only from a store that orders messages across nodes (PostgreSQL in a cluster): the
   * conversation's previous message, or null for its first. There, inserts of one conversation
   * commit one at a time and each gets an id greater than every earlier one (the draft's id is
   * replaced by one just after its predecessor's when a node's clock or id sorts lower), so id
   * order is commit order everywhere, and a node seeing a message can tell whether it has seen
   * the one before. Undefined from a store that does not chain (one node: order is kept in
   * process).
   */
  readonly prev?: MessageLink | null;
}

/**
 * What a message was checked against, for a store whose views can go stale (see
 * ConversationStore.sendView): if the conversation's view version is no longer `viewVersion`
 * when the message would be stored, the store calls `recheck` instead, while the conversation's
 * later messages wait, and stores what it returns (checked again the same way), or fails the
 * insert with what it throws. Stores whose views are always current ignore the guard.
 */
export interface InsertGuard {
  readonly viewVersion: number;
  recheck(): Promise<GuardedInsert>;
}

/** MessageStore.insert's arguments, as an InsertGuard's recheck gives them. */
export interface GuardedInsert {
  readonly record: MessageRecord;
  readonly hiddenFor: readonly string[];
  readonly pushes: readonly PushOutboxRecord[];
  readonly inbox?: InboxEntry;
  readonly guard?: InsertGuard;
}

export interface MessageStore {
  /**
   * Stores the message (hidden from `hiddenFor` from the start), bumps the conversation's
   * updated_at, and — only if the message is new — appends `pushes` to the push outbox and
   * queues it in the `inbox` devices' encrypted inboxes, all in one transaction. With a
   * `guard`, what is stored may be what its recheck returned (InsertGuard): `record` in the
   * result says which.
   */
  insert(record: MessageRecord, hiddenFor?: readonly string[], pushes?: readonly PushOutboxRecord[], inbox?: InboxEntry, guard?: InsertGuard): Promise<MessageInsert>;
  /**
   * Messages of `cid` with `afterId` < id < `beforeId` (either bound may be null: open), oldest
   * first, at most `limit`, whoever they are hidden for. How a node fills a gap in what it heard.
   */
  range(orgId: string, cid: string, afterId: string | null, beforeId: string | null, limit: number): Promise<MessageRecord[]>;
  /** The message if it exists in the organization, whoever it is hidden for. */
  byId(orgId: string, id: string): Promise<MessageRecord | undefined>;
  /** The message if it exists and is not hidden for `viewerId`. */
  visibleTo(orgId: string, id: string, viewerId: string): Promise<MessageRecord | undefined>;
  /** Messages of a conversation not hidden for `viewerId` (order: see MessageListQuery). */
  list(orgId: string, cid: string, viewerId: string, query: MessageListQuery): Promise<MessageRecord[]>;
  /** Per conversation, the newest message not hidden for `viewerId`. */
  lastVisible(orgId: string, cids: readonly string[], viewerId: string): Promise<Map<string, MessageRecord>>;
  /** Messages from users other than `userId` with an id greater than `afterId` (all when null). */
  countUnread(orgId: string, cid: string, userId: string, afterId: string | null): Promise<number>;
  /** Replaces the body and bumps updated_at; undefined if the message does not exist. */
  editBody(orgId: string, id: string, body: string, now: number): Promise<MessageRecord | undefined>;
  /** Deletes messages of `cid` among `ids` for everyone; returns the ids removed. */
  deleteForAll(orgId: string, cid: string, ids: readonly string[]): Promise<string[]>;
  /** Hides messages of `cid` among `ids` from one user; returns the ids now hidden. */
  hideFor(orgId: string, cid: string, ids: readonly string[], userId: string): Promise<string[]>;
}

export type MessageStatus = 'read' | 'decryption_failed';

/** Per-reader message statuses: one row per (message, user), first status wins. */
export interface MessageStatusStore {
  /** Records `status` for these messages and this user; returns the ids that had no row before. */
  record(cid: string, mids: readonly string[], userId: string, status: MessageStatus, now: number): Promise<string[]>;
  /** The ids among `mids` that at least one user has a status row for. */
  withAnyStatus(mids: readonly string[]): Promise<Set<string>>;
}

/** Reactions summarised for one viewer, as message_list shows them. */
export interface ReactionSummary {
  own: string[];
  total: Record<string, number>;
}

/** Message reactions: one row per (message, user, reaction). */
export interface ReactionStore {
  /** True if the reaction was not there before. */
  add(mid: string, cid: string, userId: string, reaction: string, now: number): Promise<boolean>;
  /** True if the reaction was there. */
  remove(mid: string, userId: string, reaction: string): Promise<boolean>;
  /** Summaries for the messages that have reactions (others are absent from the map). */
  summaries(mids: readonly string[], viewerId: string): Promise<Map<string, ReactionSummary>>;
  /** reaction → user ids (sorted) for one message. */
  list(mid: string): Promise<Record<string, string[]>>;
}

/** Block lists (protocol.md §3.3): one row per (blocker, blocked), with an enabled flag per blocker. */
export interface BlockStore {
  /** Blocks these users (idempotent); new rows take the blocker's current enabled state. */
  block(orgId: string, userId: string, blockedIds: readonly string[], now: number): Promise<void>;
  unblock(orgId: string, userId: string, blockedIds: readonly string[]): Promise<void>;
  /** Ids the user has blocked, enabled or not. */
  list(orgId: string, userId: string): Promise<string[]>;
  /** Turns enforcement of all of the user's blocks on or off. */
  setEnabled(orgId: string, userId: string, enabled: boolean): Promise<void>;
  /** True when either user has an enabled block on the other. */
  blockedEitherWay(orgId: string, a: string, b: string): Promise<boolean>;
  /** Removes every row where the user is either side (account deletion). */
  deleteUser(orgId: string, userId: string): Promise<void>;
}

/** One address-book value: a free label and the e-mail address or phone number. */
export interface ContactItem {
  type: string;
  value: string;
}

export interface ContactRecord {
  readonly _id: string;
  readonly organization_id: string;
  /** The address book's owner. */
  readonly user_id: string;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly company: string | null;
  readonly email: ContactItem[] | null;
  readonly phone: ContactItem[] | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Address books (protocol.md §3.2); every query is scoped to one owner in one organization. */
export interface ContactStore {
  /** Stores the contacts in one transaction. */
  insert(rows: readonly ContactRecord[]): Promise<void>;
  /** Replaces the fields given; undefined if the contact is not the owner's. */
  update(orgId: string, ownerId: string, id: string, patch: Partial<Pick<ContactRecord, 'first_name' | 'last_name' | 'company' | 'email' | 'phone'>>, now: number): Promise<ContactRecord | undefined>;
  delete(orgId: string, ownerId: string, id: string): Promise<void>;
  /** Newest first; `limit` 0 means all. */
  list(orgId: string, ownerId: string, query: { updatedAfter?: number; limit: number }): Promise<ContactRecord[]>;
}

/** A file announced by `create_files` (protocol.md §9, §11.9). */
export interface FileRecord {
  readonly _id: string;
  readonly organization_id: string;
  /** The uploader. */
  readonly user_id: string;
  /** 24 hex chars: the storage key and the public file id. */
  readonly object_id: string;
  readonly name: string;
  /** Announced size in bytes; an upload of any other size is refused. */
  readonly size: number;
  readonly content_type: string;
  /** When the bytes arrived through Parley's own upload route; null for object storage, which does not tell. */
  readonly uploaded_at: number | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** The scope of a link that lets the whole organization see a file (avatars). */
export const ORGANIZATION_SCOPE = '*';

/**
 * Files and who may see them. A file is visible to its uploader and, once linked, to everyone in
 * a link's scope: the participants of a conversation (attachments, conversation images) or the
 * whole organization (avatars). Files never linked are removed by the cleanup after a while.
 */
export interface FileStore {
  insert(rows: readonly FileRecord[]): Promise<void>;
  /** The organization's files among `objectIds` (unknown ids are skipped). */
  byObjectIds(orgId: string, objectIds: readonly string[]): Promise<FileRecord[]>;
  /** Any organization's file; for the upload and download routes, whose URLs carry no session. */
  byObjectId(objectId: string): Promise<FileRecord | undefined>;
  /** Records that the bytes arrived; false if they had already (uploads are write-once). */
  markUploaded(objectId: string, now: number): Promise<boolean>;
  /** Links the files to a scope (a conversation id or ORGANIZATION_SCOPE); idempotent. */
  link(orgId: string, objectIds: readonly string[], scope: string, now: number): Promise<void>;
  /** The files among `objectIds` the user may see: uploaded by them, or linked to a scope they are in. */
  visibleTo(orgId: string, userId: string, objectIds: readonly string[]): Promise<FileRecord[]>;
  /** Files created before `createdBefore` and never linked, oldest first. */
  unlinked(createdBefore: number, limit: number): Promise<FileRecord[]>;
  /** Removes the rows and their links (the bytes are the storage driver's business). */
  delete(objectIds: readonly string[]): Promise<void>;
}

/** The whole store: one object per entity port, plus lifecycle. */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly organizations: OrganizationStore;
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly conversations: ConversationStore;
  readonly participants: ParticipantStore;
  readonly opLog: OpLogStore;
  readonly messages: MessageStore;
  /** Full-text search over messages (parley_message_search). */
  readonly search: MessageSearchStore;
  readonly statuses: MessageStatusStore;
  readonly reactions: ReactionStore;
  readonly pushOutbox: PushOutboxStore;
  readonly pushSubscriptions: PushSubscriptionStore;
  readonly pushEvents: PushEventStore;
  readonly blocks: BlockStore;
  readonly contacts: ContactStore;
  readonly files: FileStore;
  readonly encryptedDevices: EncryptedDeviceStore;
  readonly encryptedInbox: EncryptedInboxStore;
  readonly conversationHandlers: ConversationHandlerStore;
  /** Scheduled messages and their dispatch leases (parley_message_schedule). */
  readonly scheduledMessages: ScheduledMessageStore;
  /** Personal data export jobs. */
  readonly exports: DataExportStore;
  /** Retention periods and the sweeper's deletions. */
  readonly retention: RetentionStore;
  /** Operator listings and bulk deletions (the admin CLI only). */
  readonly admin: AdminStore;
  /** Resolves when the store answers a trivial query (for /readyz). */
  ping(): Promise<void>;
  /** Waits for pending writes, then closes connections. */
  close(): Promise<void>;
}
