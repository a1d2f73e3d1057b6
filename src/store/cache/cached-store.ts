import type {
  AdminStore,
  BlockStore,
  InboxEntry,
  ConversationHandlerRecord,
  ConversationHandlerStore,
  ConversationPatch,
  ConversationRecord,
  ConversationStore,
  MessageRecord,
  MessageStore,
  ParticipantRecord,
  ParticipantRole,
  ParticipantStore,
  PushOutboxRecord,
  Store,
  UserPatch,
  UserRecord,
  UserStore,
} from '../store.js';
import { composeSendView } from '../send-view.js';
import { ReadCache } from './read-cache.js';

/** Entry limits of the read caches (records, not bytes). */
export interface CacheLimits {
  readonly conversations: number;
  readonly participantLists: number;
  readonly users: number;
  readonly blockPairs: number;
  /** Conversations whose handler (or lack of one) is known. */
  readonly handlers: number;
}

const DEFAULT_LIMITS: CacheLimits = { conversations: 50_000, participantLists: 50_000, users: 50_000, blockPairs: 50_000, handlers: 50_000 };

/** A conversation's rows, oldest membership first, with an index by user. */
interface Roster {
  readonly rows: readonly ParticipantRecord[];
  readonly byUser: ReadonlyMap<string, ParticipantRecord>;
}

/** Runs `write`, then `invalidate` once it has settled (committed or failed). */
async function thenInvalidate<T>(write: Promise<T>, invalidate: () => void): Promise<T> {
  try {
    return await write;
  } finally {
    invalidate();
  }
}

/** A store with read caches in front (see cachedStore). */
export interface CachedStore extends Store {
  /**
   * Drops every cached read. For writes that bypass this object: the admin CLI changes the
   * database from its own process, then asks the running node (admin API) to forget.
   */
  forget(): void;
}

/**
 * Wraps a store with in-memory read caches for what every `message` reads: conversation records,
 * participant lists (membership), block state between two users, user records (the sender of
 * a push) and conversation handlers (kept for conversations without one too, so a message there
 * costs one map lookup). Answers are the same as the wrapped store's: every write method of these ports drops
 * (or, for a message's updated_at bump, patches) what it changes once its write has committed, and
 * a read that raced with a write is never kept (see ReadCache).
 *
 * Valid only while every write to these tables goes through this object, i.e. on one node. With
 * several nodes sharing a PostgreSQL store, each node must also drop entries when another node
 * writes (invalidation messages over the bus) before this cache may be used there.
 */
export function cachedStore(inner: Store, limits: CacheLimits = DEFAULT_LIMITS): CachedStore {
  const convs = new ReadCache<ConversationRecord>(limits.conversations);
  const rosters = new ReadCache<Roster>(limits.participantLists);
  const users = new ReadCache<UserRecord>(limits.users);
  const blocks = new ReadCache<boolean>(limits.blockPairs);
  // `null`: the conversation has no handler (ReadCache keeps no undefined).
  const handlers = new ReadCache<{ readonly record: ConversationHandlerRecord | null }>(limits.handlers);
  const userKey = (orgId: string, id: string): string => `${orgId}:${id}`;
  const dropConversation = (cid: string): void => {
    convs.invalidate(cid);
    rosters.invalidate(cid);
  };
  const handlerKey = (orgId: string, cid: string): string => `${orgId}:${cid}`;
  const roster = (cid: string): Promise<Roster | undefined> =>
    rosters.get(cid, async () => {
      const rows = await inner.participants.list(cid);
      return { rows, byUser: new Map(rows.map((r) => [r.user_id, r])) };
    });

  const conversations: ConversationStore = {
    create: (conv, participants) => thenInvalidate(inner.conversations.create(conv, participants), () => dropConversation(conv._id)),
    async byId(orgId: string, id: string): Promise<ConversationRecord | undefined> {
      // Ids are unique across organizations: another organization's id is "not found".
      const c = await convs.get(id, () => inner.conversations.byId(orgId, id));
      return c?.organization_id === orgId ? c : undefined;
    },
    privateBetween: (orgId, a, b, encrypted) => inner.conversations.privateBetween(orgId, a, b, encrypted),
    update: (orgId: string, id: string, patch: ConversationPatch, now: number) => thenInvalidate(inner.conversations.update(orgId, id, patch, now), () => convs.invalidate(id)),
    touch: (orgId, id, updatedAt) => thenInvalidate(inner.conversations.touch(orgId, id, updatedAt), () => convs.invalidate(id)),
    delete: (orgId, id) =>
      thenInvalidate(inner.conversations.delete(orgId, id), () => {
        dropConversation(id);
        handlers.invalidate(handlerKey(orgId, id));
      }),
    listForUser: (orgId, userId, q) => inner.conversations.listForUser(orgId, userId, q),
    searchByName: (orgId, q) => inner.conversations.searchByName(orgId, q),
    // From the caches below (defined before any call), not the inner store's single statement.
    sendView: (orgId, cid, senderId) => composeSendView({ conversations, participants, conversationHandlers, blocks: blockStore }, orgId, cid, senderId),
  };

  const participants: ParticipantStore = {
    // participants_count lives on the conversation row, so membership changes drop both.
    add: (orgId: string, cid: string, list: readonly { user_id: string; role: ParticipantRole }[], now: number, max?: number) => thenInvalidate(inner.participants.add(orgId, cid, list, now, max), () => dropConversation(cid)),
    remove: (orgId, cid, userIds) => thenInvalidate(inner.participants.remove(orgId, cid, userIds), () => dropConversation(cid)),
    async get(cid: string, userId: string): Promise<ParticipantRecord | undefined> {
      return (await roster(cid))?.byUser.get(userId);
    },
    async list(cid: string): Promise<ParticipantRecord[]> {
      return [...((await roster(cid))?.rows ?? [])];
    },
    forConversations: (orgId, cids) => inner.participants.forConversations(orgId, cids),
    setRole: (cid, userIds, role, now) => thenInvalidate(inner.participants.setRole(cid, userIds, role, now), () => rosters.invalidate(cid)),
    markRead: (cid, userId, messageId) => thenInvalidate(inner.participants.markRead(cid, userId, messageId), () => rosters.invalidate(cid)),
  };

  const messages: MessageStore = {
    async insert(record: MessageRecord, hiddenFor?: readonly string[], pushes?: readonly PushOutboxRecord[], inbox?: InboxEntry) {
      let result;
      try {
        result = await inner.messages.insert(record, hiddenFor, pushes, inbox);
      } catch (err) {
        convs.invalidate(record.cid);
        throw err;
      }
      // The insert moved the conversation's updated_at forward (never back), as the store did.
      if (!result.duplicate) convs.update(record.cid, (c) => (c.updated_at < record.created_at ? { ...c, updated_at: record.created_at } : c));
      return result;
    },
    range: (orgId, cid, afterId, beforeId, limit) => inner.messages.range(orgId, cid, afterId, beforeId, limit),
    byId: (orgId, id) => inner.messages.byId(orgId, id),
    visibleTo: (orgId, id, viewerId) => inner.messages.visibleTo(orgId, id, viewerId),
    list: (orgId, cid, viewerId, q) => inner.messages.list(orgId, cid, viewerId, q),
    lastVisible: (orgId, cids, viewerId) => inner.messages.lastVisible(orgId, cids, viewerId),
    countUnread: (orgId, cid, userId, afterId) => inner.messages.countUnread(orgId, cid, userId, afterId),
    editBody: (orgId, id, body, now) => inner.messages.editBody(orgId, id, body, now),
    deleteForAll: (orgId, cid, ids) => inner.messages.deleteForAll(orgId, cid, ids),
    hideFor: (orgId, cid, ids, userId) => inner.messages.hideFor(orgId, cid, ids, userId),
  };

  // Block writes are rare; any of them drops every cached pair.
  const dropBlocks = (): void => blocks.clear();
  const blockStore: BlockStore = {
    block: (orgId, userId, ids, now) => thenInvalidate(inner.blocks.block(orgId, userId, ids, now), dropBlocks),
    unblock: (orgId, userId, ids) => thenInvalidate(inner.blocks.unblock(orgId, userId, ids), dropBlocks),
    list: (orgId, userId) => inner.blocks.list(orgId, userId),
    setEnabled: (orgId, userId, enabled) => thenInvalidate(inner.blocks.setEnabled(orgId, userId, enabled), dropBlocks),
    async blockedEitherWay(orgId: string, a: string, b: string): Promise<boolean> {
      const key = a < b ? `${orgId}:${a}:${b}` : `${orgId}:${b}:${a}`;
      return (await blocks.get(key, () => inner.blocks.blockedEitherWay(orgId, a, b))) ?? false;
    },
    deleteUser: (orgId, userId) => thenInvalidate(inner.blocks.deleteUser(orgId, userId), dropBlocks),
  };

  const userStore: UserStore = {
    insert: (user) => thenInvalidate(inner.users.insert(user), () => users.invalidate(userKey(user.organization_id, user._id))),
    byId: (orgId, id) => users.get(userKey(orgId, id), () => inner.users.byId(orgId, id)),
    byLogin: (orgId, login) => inner.users.byLogin(orgId, login),
    byEmail: (orgId, email) => inner.users.byEmail(orgId, email),
    byIds: (orgId, ids) => inner.users.byIds(orgId, ids),
    update: (orgId: string, id: string, patch: UserPatch, now: number) => thenInvalidate(inner.users.update(orgId, id, patch, now), () => users.invalidate(userKey(orgId, id))),
    delete: (orgId, id) => thenInvalidate(inner.users.delete(orgId, id), () => users.invalidate(userKey(orgId, id))),
    search: (orgId, q) => inner.users.search(orgId, q),
    byEmailsOrPhones: (orgId, emails, phones) => inner.users.byEmailsOrPhones(orgId, emails, phones),
    setRecentActivity: (orgId, id, s) => thenInvalidate(inner.users.setRecentActivity(orgId, id, s), () => users.invalidate(userKey(orgId, id))),
    replacePasswordHash: (orgId, id, expected, next) => thenInvalidate(inner.users.replacePasswordHash(orgId, id, expected, next), () => users.invalidate(userKey(orgId, id))),
  };

  const conversationHandlers: ConversationHandlerStore = {
    put: (h, now) => thenInvalidate(inner.conversationHandlers.put(h, now), () => handlers.invalidate(handlerKey(h.organization_id, h.conversation_id))),
    async byConversation(orgId: string, cid: string): Promise<ConversationHandlerRecord | undefined> {
      // Keyed by organization too: a "none" found for another organization's probe must not hide
      // the real organization's handler.
      const entry = await handlers.get(handlerKey(orgId, cid), async () => ({ record: (await inner.conversationHandlers.byConversation(orgId, cid)) ?? null }));
      return entry?.record ?? undefined;
    },
    delete: (orgId, cid) => thenInvalidate(inner.conversationHandlers.delete(orgId, cid), () => handlers.invalidate(handlerKey(orgId, cid))),
    recordError: (orgId, cid, version, error, now) => thenInvalidate(inner.conversationHandlers.recordError(orgId, cid, version, error, now), () => handlers.invalidate(handlerKey(orgId, cid))),
  };

  const forget = (): void => {
    convs.clear();
    rosters.clear();
    users.clear();
    blocks.clear();
    handlers.clear();
  };
  // Bulk deletions reach users, conversations, memberships, blocks and handlers alike.
  const admin: AdminStore = {
    organizations: (page) => inner.admin.organizations(page),
    users: (orgId, page) => inner.admin.users(orgId, page),
    findUsers: (q) => inner.admin.findUsers(q),
    countOrganization: (orgId) => inner.admin.countOrganization(orgId),
    countUser: (orgId, userId) => inner.admin.countUser(orgId, userId),
    conversationIds: (orgId, page) => inner.admin.conversationIds(orgId, page),
    fileIds: (orgId, page) => inner.admin.fileIds(orgId, page),
    deleteMessages: (orgId, which, limit) => inner.admin.deleteMessages(orgId, which, limit),
    deleteUserRows: (orgId, userId, opts) => thenInvalidate(inner.admin.deleteUserRows(orgId, userId, opts), forget),
    deleteOrganizationRows: (orgId, limit, fromTable) => thenInvalidate(inner.admin.deleteOrganizationRows(orgId, limit, fromTable), forget),
  };

  return {
    forget,
    admin,
    dialect: inner.dialect,
    organizations: inner.organizations,
    users: userStore,
    tokens: inner.tokens,
    conversations,
    participants,
    opLog: inner.opLog,
    messages,
    // Not cached: hits follow every write, and the store filters membership itself.
    search: inner.search,
    statuses: inner.statuses,
    reactions: inner.reactions,
    pushOutbox: inner.pushOutbox,
    pushSubscriptions: inner.pushSubscriptions,
    pushEvents: inner.pushEvents,
    blocks: blockStore,
    contacts: inner.contacts,
    files: inner.files,
    encryptedDevices: inner.encryptedDevices,
    encryptedInbox: inner.encryptedInbox,
    conversationHandlers,
    scheduledMessages: inner.scheduledMessages,
    retention: inner.retention,
    exports: inner.exports,
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
