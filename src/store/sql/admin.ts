import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { AdminStore, MessageSelector, OrganizationSummary, Page, RowCounts, UserRecord } from '../store.js';
import { likeLiteral, type SqlContext } from './dialect.js';
import type { Database } from './schema.js';
import { userFromRow } from './users.js';

type Db = Kysely<Database> | Transaction<Database>;
/** The rows of one table that belong to an organization or a user, as a WHERE condition. */
type Where = (owner: string, user?: string) => RawBuilder<unknown>;

const usersOf = (orgId: string): RawBuilder<unknown> => sql`select id from users where organization_id = ${orgId}`;
const conversationsOf = (orgId: string): RawBuilder<unknown> => sql`select id from conversations where organization_id = ${orgId}`;
const byOrg: Where = (orgId) => sql`organization_id = ${orgId}`;
/** Tables without an organization column: reached through the organization's conversations and users. */
const byConversationOrUser: Where = (orgId) => sql`(cid in (${conversationsOf(orgId)}) or user_id in (${usersOf(orgId)}))`;

/**
 * Every table holding organization data, in deletion order: rows found through conversations
 * or users go before those, and the organization row last. A table added to schema.ts must be
 * added here (the contract test counts every table of a filled organization).
 */
const ORGANIZATION_TABLES: readonly (readonly [keyof Database, Where])[] = [
  ['messages', byOrg],
  ['message_statuses', byConversationOrUser],
  ['message_reactions', byConversationOrUser],
  ['message_hidden', byConversationOrUser],
  ['encrypted_inbox', byConversationOrUser],
  ['encrypted_pre_keys', (orgId) => sql`user_id in (${usersOf(orgId)})`],
  ['encrypted_devices', byOrg],
  ['conversation_handlers', byOrg],
  ['scheduled_messages', byOrg],
  ['retention_policies', byOrg],
  ['data_exports', byOrg],
  ['conversation_participants', byOrg],
  ['conversations', byOrg],
  ['operations_log', byOrg],
  ['push_outbox', byOrg],
  ['push_subscriptions', byOrg],
  ['push_events', byOrg],
  ['blocked_users', byOrg],
  ['contacts', byOrg],
  ['file_links', byOrg],
  ['files', byOrg],
  ['user_tokens', byOrg],
  ['users', byOrg],
  ['organizations', (orgId) => sql`id = ${orgId}`],
];

/** The tables deleteOrganizationRows goes through, in its order. */
export const ORGANIZATION_TABLE_NAMES: readonly string[] = ORGANIZATION_TABLES.map(([table]) => table);

const ownRows: Where = (orgId, userId) => sql`organization_id = ${orgId} and user_id = ${userId ?? ''}`;
const givenBy: Where = (_orgId, userId) => sql`user_id = ${userId ?? ''}`;

/** The user's private rows, removed with the account (deleteUserRows), in deletion order. */
const USER_PRIVATE_TABLES: readonly (readonly [keyof Database, Where])[] = [
  ['user_tokens', ownRows],
  ['blocked_users', (orgId, userId) => sql`organization_id = ${orgId} and (user_id = ${userId ?? ''} or blocked_user_id = ${userId ?? ''})`],
  ['contacts', ownRows],
  ['push_subscriptions', ownRows],
  ['push_outbox', ownRows],
  ['push_events', ownRows],
  ['encrypted_inbox', givenBy],
  ['encrypted_pre_keys', givenBy],
  ['encrypted_devices', ownRows],
  ['operations_log', ownRows],
  ['scheduled_messages', ownRows],
  ['data_exports', ownRows],
];

/** What others can see of the user besides messages: removed only with `activity`. */
const USER_ACTIVITY_TABLES: readonly (readonly [keyof Database, Where])[] = [
  ['message_statuses', givenBy],
  ['message_reactions', givenBy],
  ['message_hidden', givenBy],
  ['conversation_participants', ownRows],
];

/** Counted by countUser besides the tables above. */
const USER_CONTENT_TABLES: readonly (readonly [keyof Database, Where])[] = [
  ['users', (orgId, userId) => sql`organization_id = ${orgId} and id = ${userId ?? ''}`],
  ['messages', (orgId, userId) => sql`organization_id = ${orgId} and from_id = ${userId ?? ''}`],
  ['files', ownRows],
];

async function countWhere(db: Db, table: keyof Database, where: RawBuilder<unknown>): Promise<number> {
  const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

async function deleteWhere(db: Db, table: keyof Database, where: RawBuilder<unknown>): Promise<number> {
  const r = await sql`delete from ${sql.table(table)} where ${where}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** AdminStore over Kysely (both dialects). */
export class SqlAdminStore implements AdminStore {
  constructor(private readonly ctx: SqlContext) {}

  async organizations(page: Page): Promise<OrganizationSummary[]> {
    let q = this.ctx.db
      .selectFrom('organizations as o')
      .selectAll('o')
      .select(sql<number>`(select count(*) from users u where u.organization_id = o.id)`.as('users'));
    if (page.afterId !== undefined) q = q.where('o.id', '>', page.afterId);
    const rows = await q.orderBy('o.id').limit(page.limit).execute();
    return rows.map((r) => ({ _id: r.id, name: r.name, created_at: r.created_at, updated_at: r.updated_at, users: Number(r.users) }));
  }

  async users(orgId: string, page: Page): Promise<UserRecord[]> {
    let q = this.ctx.db.selectFrom('users').selectAll().where('organization_id', '=', orgId);
    if (page.afterId !== undefined) q = q.where('id', '>', page.afterId);
    return (await q.orderBy('id').limit(page.limit).execute()).map(userFromRow);
  }

  async findUsers(query: { text: string; orgId?: string; limit: number }): Promise<UserRecord[]> {
    const pattern = `%${likeLiteral(query.text.toLowerCase())}%`;
    const matches = sql`${pattern} escape '\\'`;
    let q = this.ctx.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb.or([eb(sql`login_lower`, 'like', matches), eb(sql`lower(coalesce(email, ''))`, 'like', matches), eb(sql`lower(coalesce(phone, ''))`, 'like', matches)]));
    if (query.orgId !== undefined) q = q.where('organization_id', '=', query.orgId);
    return (await q.orderBy('organization_id').orderBy('login_lower').limit(query.limit).execute()).map(userFromRow);
  }

  async countOrganization(orgId: string): Promise<RowCounts> {
    const out: RowCounts = {};
    for (const [table, where] of ORGANIZATION_TABLES) {
      const n = await countWhere(this.ctx.db, table, where(orgId));
      if (n > 0) out[table] = n;
    }
    return out;
  }

  async countUser(orgId: string, userId: string): Promise<RowCounts> {
    const out: RowCounts = {};
    for (const [table, where] of [...USER_CONTENT_TABLES, ...USER_ACTIVITY_TABLES, ...USER_PRIVATE_TABLES]) {
      const n = await countWhere(this.ctx.db, table, where(orgId, userId));
      if (n > 0) out[table] = n;
    }
    return out;
  }

  async conversationIds(orgId: string, page: Page & { userId?: string }): Promise<string[]> {
    if (page.userId !== undefined) {
      let q = this.ctx.db.selectFrom('conversation_participants').select('conversation_id as id').where('organization_id', '=', orgId).where('user_id', '=', page.userId);
      if (page.afterId !== undefined) q = q.where('conversation_id', '>', page.afterId);
      return (await q.orderBy('conversation_id').limit(page.limit).execute()).map((r) => r.id);
    }
    let q = this.ctx.db.selectFrom('conversations').select('id').where('organization_id', '=', orgId);
    if (page.afterId !== undefined) q = q.where('id', '>', page.afterId);
    return (await q.orderBy('id').limit(page.limit).execute()).map((r) => r.id);
  }

  async fileIds(orgId: string, page: Page & { userId?: string }): Promise<string[]> {
    let q = this.ctx.db.selectFrom('files').select('object_id').where('organization_id', '=', orgId);
    if (page.userId !== undefined) q = q.where('user_id', '=', page.userId);
    if (page.afterId !== undefined) q = q.where('object_id', '>', page.afterId);
    return (await q.orderBy('object_id').limit(page.limit).execute()).map((r) => r.object_id);
  }

  deleteMessages(orgId: string, which: MessageSelector, limit: number): Promise<number> {
    if (which.cid === undefined && which.from === undefined) return Promise.reject(new Error('deleteMessages needs a conversation or a sender'));
    return this.ctx.db.transaction().execute(async (trx) => {
      let pick = trx.selectFrom('messages').select('id').where('organization_id', '=', orgId);
      if (which.cid !== undefined) pick = pick.where('cid', '=', which.cid);
      if (which.from !== undefined) pick = pick.where('from_id', '=', which.from);
      const ids = (await pick.limit(limit).execute()).map((r) => r.id);
      if (ids.length === 0) return 0;
      await trx.deleteFrom('encrypted_inbox').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_hidden').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_statuses').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_reactions').where('mid', 'in', ids).execute();
      await trx.deleteFrom('messages').where('organization_id', '=', orgId).where('id', 'in', ids).execute();
      return ids.length;
    });
  }

  deleteUserRows(orgId: string, userId: string, opts: { activity: boolean }): Promise<RowCounts> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const out: RowCounts = {};
      const note = (table: string, n: number): void => {
        if (n > 0) out[table] = n;
      };
      // The user row decides: a user of another organization (or none) leaves everything as it is.
      const user = await trx.selectFrom('users').select('id').where('organization_id', '=', orgId).where('id', '=', userId).executeTakeFirst();
      if (!user) return out;
      if (opts.activity) {
        const cids = (await trx.selectFrom('conversation_participants').select('conversation_id').where('organization_id', '=', orgId).where('user_id', '=', userId).execute()).map((r) => r.conversation_id);
        for (const [table, where] of USER_ACTIVITY_TABLES) note(table, await deleteWhere(trx, table, where(orgId, userId)));
        for (const cid of cids) {
          await trx
            .updateTable('conversations')
            .set({ participants_count: sql<number>`(select count(*) from conversation_participants where conversation_id = ${cid})` })
            .where('id', '=', cid)
            .execute();
        }
      }
      for (const [table, where] of USER_PRIVATE_TABLES) note(table, await deleteWhere(trx, table, where(orgId, userId)));
      note('users', await deleteWhere(trx, 'users', sql`organization_id = ${orgId} and id = ${userId}`));
      return out;
    });
  }

  async deleteOrganizationRows(orgId: string, limit: number, fromTable?: string): Promise<{ table: string; count: number } | undefined> {
    // PostgreSQL has no DELETE … LIMIT: rows are picked by their physical address (ctid), as
    // SQLite's are by rowid (no table of the schema is WITHOUT ROWID).
    const pg = this.ctx.dialect.name === 'postgres';
    const start = Math.max(0, ORGANIZATION_TABLES.findIndex(([table]) => table === fromTable));
    for (const [table, where] of ORGANIZATION_TABLES.slice(start)) {
      const pick = sql`select ${sql.raw(pg ? 'ctid' : 'rowid')} from ${sql.table(table)} where ${where(orgId)} limit ${limit}`;
      const statement = pg ? sql`delete from ${sql.table(table)} where ctid = any(array(${pick}))` : sql`delete from ${sql.table(table)} where rowid in (${pick})`;
      const r = await statement.execute(this.ctx.db);
      const count = Number(r.numAffectedRows ?? 0);
      if (count > 0) return { table, count };
    }
    return undefined;
  }
}
