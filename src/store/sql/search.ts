import { sql, type RawBuilder } from 'kysely';
import type { MessageRecord } from '../store.js';
import type { MessageSearchQuery, MessageSearchStore } from '../search.js';
import type { SqlContext } from './dialect.js';
import { messageFromRow } from './messages.js';
import type { MessagesTable } from './schema.js';

/**
 * Up to this many conversations are named in the index query itself (as scope tokens), so the
 * engine intersects the words' posting lists with the conversations' instead of reading every
 * match of a common word in the whole database. Beyond it the membership join alone filters
 * (correct either way: the join is the rule, the scope only a shortcut).
 */
const MAX_SCOPE_TERMS = 500;

/**
 * SQLite: when the words match fewer messages than this in the whole database, reading all of
 * them and filtering by membership is cheaper than intersecting with the scope tokens (whose
 * posting lists hold every message of the caller's conversations). One capped probe decides.
 */
const RARE_BELOW = 2000;

/** A word or phrase as FTS5 query text: words are letters, digits and marks only, so quoting is plain. */
const fts5Phrase = (words: readonly string[]): string => `"${words.join(' ')}"`;

/** The same as to_tsquery text: `'a' & ('b' <-> 'c')`. */
const tsPhrase = (words: readonly string[]): string => (words.length === 1 ? `'${words[0]}'` : `(${words.map((w) => `'${w}'`).join(' <-> ')})`);

/**
 * MessageSearchStore over the migration-15 index: an FTS5 table on SQLite, a tsvector table
 * with a GIN index on PostgreSQL. Membership and hiding are joined in the same query, so the
 * result is never short because of filtering after the limit.
 */
export class SqlMessageSearchStore implements MessageSearchStore {
  constructor(private readonly ctx: SqlContext) {}

  async newestMatches(orgId: string, viewerId: string, q: MessageSearchQuery): Promise<MessageRecord[]> {
    if (q.phrases.length === 0 || q.limit <= 0) return [];
    const scope = await this.scopeOf(orgId, viewerId, q.cid);
    if (scope.length === 0) return [];
    await this.ctx.searchIndexCatchUp?.();
    const named = scope.length <= MAX_SCOPE_TERMS ? scope : undefined;
    const query = this.ctx.dialect.name === 'sqlite' ? await this.sqliteQuery(orgId, viewerId, q, named) : postgresQuery(orgId, viewerId, q, named);
    return (await query.execute(this.ctx.db)).rows.map(messageFromRow);
  }

  /** The conversations searched: the viewer's current ones of `orgId`, or `cid` if it is one of them. */
  private async scopeOf(orgId: string, viewerId: string, cid: string | undefined): Promise<string[]> {
    let q = this.ctx.db.selectFrom('conversation_participants').select('conversation_id').where('organization_id', '=', orgId).where('user_id', '=', viewerId);
    if (cid !== undefined) q = q.where('conversation_id', '=', cid);
    return (await q.execute()).map((r) => r.conversation_id);
  }

  /**
   * SQLite: FTS5 MATCH on the body column, newest first (ascending negated rowids), joined to
   * the messages. The scope tokens are added when the words are common (see RARE_BELOW) or one
   * conversation is searched.
   */
  private async sqliteQuery(orgId: string, viewerId: string, q: MessageSearchQuery, scope: readonly string[] | undefined): Promise<RawBuilder<MessagesTable>> {
    const words = `{body} : (${q.phrases.map(fts5Phrase).join(' AND ')})`;
    let match = words;
    if (scope && (q.cid !== undefined || (await this.sqliteCommon(words)))) match += ` AND {scope} : (${scope.map((c) => `"${c}"`).join(' OR ')})`;
    return sql<MessagesTable>`select m.* from message_search join messages m on m.rowid = -message_search.rowid
      where message_search match ${match} and ${visibleTo(orgId, viewerId, q.cid)}
      order by message_search.rowid
      limit ${q.limit}`;
  }

  /** True when `match` has at least RARE_BELOW entries in the whole index. */
  private async sqliteCommon(match: string): Promise<boolean> {
    const r = await sql<{ n: number }>`select count(*) as n from (select rowid from message_search where message_search match ${match} limit ${RARE_BELOW})`.execute(this.ctx.db);
    return Number(r.rows[0]?.n ?? 0) >= RARE_BELOW;
  }
}

/** The membership and hiding rules of message_list, over `m` (messages). */
function visibleTo(orgId: string, viewerId: string, cid: string | undefined): RawBuilder<unknown> {
  const member = sql`m.cid in (select p.conversation_id from conversation_participants p where p.organization_id = ${orgId} and p.user_id = ${viewerId})`;
  return sql`m.organization_id = ${orgId} and ${member}${cid === undefined ? sql`` : sql` and m.cid = ${cid}`}
    and not exists (select 1 from message_hidden h where h.mid = m.id and h.user_id = ${viewerId})`;
}

/** PostgreSQL: the GIN index on message_search.doc, newest first. */
function postgresQuery(orgId: string, viewerId: string, q: MessageSearchQuery, scope: readonly string[] | undefined): RawBuilder<MessagesTable> {
  const words = q.phrases.map(tsPhrase).join(' & ');
  // Scope lexemes are cast, not parsed: '~<cid>' is exactly how the index stores them.
  const within = scope ? sql` && cast(${scope.map((c) => `'~${c}'`).join(' | ')} as tsquery)` : sql``;
  return sql<MessagesTable>`select m.* from message_search s join messages m on m.id = s.mid
    where s.doc @@ (to_tsquery('simple', ${words})${within}) and s.organization_id = ${orgId} and ${visibleTo(orgId, viewerId, q.cid)}
    order by s.mid desc
    limit ${q.limit}`;
}
