import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Store } from '../store.js';
import type { SqlContext, SqlDialect } from './dialect.js';
import { SqlAdminStore } from './admin.js';
import { SqlBlockStore } from './blocks.js';
import { SqlContactStore } from './contacts.js';
import { SqlEncryptedDeviceStore, SqlEncryptedInboxStore } from './encryption.js';
import { SqlConversationHandlerStore, deleteConversationHandler } from './conversation-handlers.js';
import { SqlDataExportStore } from './exports.js';
import { SqlFileStore } from './files.js';
import { SqlConversationStore } from './conversations.js';
import { SqlMessageStatusStore, SqlReactionStore, deleteConversationMeta } from './message-meta.js';
import { SqlMessageStore, deleteConversationMessages } from './messages.js';
import { SqlOpLogStore } from './op-log.js';
import { SqlOrganizationStore } from './organizations.js';
import { SqlParticipantStore } from './participants.js';
import { SqlPushOutboxStore } from './push-outbox.js';
import { SqlPushEventStore, SqlPushSubscriptionStore } from './push-subscriptions.js';
import { SqlScheduledMessageStore } from './scheduled-messages.js';
import { SqlRetentionStore, deleteConversationRetention } from './retention.js';
import { SqlMessageSearchStore } from './search.js';
import { SendViewCache } from './send-view-cache.js';
import type { Database } from './schema.js';
import { SqlTokenStore } from './tokens.js';
import { SqlUserStore } from './users.js';

/** SendViewCache's bound (one per view plus one per participant in it). */
const SEND_VIEW_CACHE_WEIGHT = 100_000;

/**
 * Builds the Store from a migrated Kysely handle. `shutdown` closes the engine (pool or file);
 * it is called once by `close()`. `messageWriter` replaces the Kysely transaction for message
 * batches where the dialect has a faster one.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialect, shutdown: () => Promise<void>, extra: Pick<SqlContext, 'messageWriter' | 'orderAcrossNodes' | 'searchIndexCatchUp'> = {}): Store {
  const ctx: SqlContext = {
    db,
    dialect,
    conversationCleanup: [deleteConversationMeta, deleteConversationMessages, deleteConversationHandler, deleteConversationRetention],
    // A cluster node checks messages against cached views that the insert validates; 100,000
    // views-plus-participants is some tens of MB at most.
    ...(extra.orderAcrossNodes === true ? { sendViews: new SendViewCache(SEND_VIEW_CACHE_WEIGHT) } : {}),
    ...extra,
  };
  const messages = new SqlMessageStore(ctx);
  let closing: Promise<void> | undefined;
  const store: Store = {
    dialect: dialect.name,
    organizations: new SqlOrganizationStore(ctx),
    users: new SqlUserStore(ctx),
    tokens: new SqlTokenStore(ctx),
    conversations: new SqlConversationStore(ctx, () => store),
    participants: new SqlParticipantStore(ctx),
    opLog: new SqlOpLogStore(ctx),
    messages,
    search: new SqlMessageSearchStore(ctx),
    statuses: new SqlMessageStatusStore(ctx),
    reactions: new SqlReactionStore(ctx),
    pushOutbox: new SqlPushOutboxStore(ctx),
    pushSubscriptions: new SqlPushSubscriptionStore(ctx),
    pushEvents: new SqlPushEventStore(ctx),
    blocks: new SqlBlockStore(ctx),
    contacts: new SqlContactStore(ctx),
    files: new SqlFileStore(ctx),
    encryptedDevices: new SqlEncryptedDeviceStore(ctx),
    encryptedInbox: new SqlEncryptedInboxStore(ctx),
    conversationHandlers: new SqlConversationHandlerStore(ctx),
    scheduledMessages: new SqlScheduledMessageStore(ctx),
    retention: new SqlRetentionStore(ctx),
    exports: new SqlDataExportStore(ctx),
    admin: new SqlAdminStore(ctx),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closing ??= messages.idle().then(shutdown);
      return closing;
    },
  };
  return store;
}
