import { sql, type RawBuilder } from 'kysely';
import type { MessageSearchHit, MessageSearchQuery, MessageSearchStore } from '../search.js';
import type { SqlContext } from './dialect.js';
import { messageFromRow } from './messages.js';
import type { MessagesTable } from './schema.js';

/**
 * Up to this many conversations are named in the index query itself (as scope tokens), so the
 * engine intersects the words' posting lists with the conversations' instead of reading every
 * match of a common word in the whole database. Beyond it the membership join alone filters
 * (correct either way; the join is the rule, the scope only a shortcut).
 */
const MAX_SCOPE_TERMS = 500;

/** A word or phrase as FTS5 query text: words are letters, digits and marks only, so quoting is plain. */
const fts5Phrase = (words: readonly string[]): string => `"${words.join(' ')}"`;

/** The same as to_tsquery text: `'a' & ('b' <-> 'c')`. */
const tsPhrase = (words: readonly string[]): string => (words.length === 1 ? `'${words[0]}'` : `(${words.map((w) => `'${w}'`).join(' <-> ')})`);

/** A message row plus its relevance, as both search queries return it. */
type HitRow = MessagesTable & { search_rank: number };

/**
 * MessageSearchStore over the migration-15 index: an FTS5 table on SQLite, a tsvector table
 * with a GIN index on PostgreSQL. Membership and hiding are joined in the same query, so a page
 * is never short because of filtering after the limit.
 */
export class SqlMessageSearchStore implements MessageSearchStore {
  constructor(private readonly ctx: SqlContext) {}

  async search(orgId: string, viewerId: string, q: MessageSearchQuery): Promise<MessageSearchHit[]> {
    if (q.phrases.length === 0 || q.limit <= 0) return [];
    const scope = await this.scopeOf(orgId, viewerId, q.cid);
    if (scope.length === 0) return [];
    const named = scope.length <= MAX_SCOPE_TERMS ? scope : undefined;
    const query = this.ctx.dialect.name === 'sqlite' ? sqliteSearch(orgId, viewerId, q, named) : postgresSearch(orgId, viewerId, q, named);
    const rows = (await query.execute(this.ctx.db)).rows;
    return rows.map((r) => ({ record: messageFromRow(r), rank: Number(r.search_rank) }));
  }

  /** The conversations searched: the viewer's current ones of `orgId`, or `cid` if it is one of them. */
  private async scopeOf(orgId: string, viewerId: string, cid: string | undefined): Promise<string[]> {
    let q = this.ctx.db.selectFrom('conversation_participants').select('conversation_id').where('organization_id', '=', orgId).where('user_id', '=', viewerId);
    if (cid !== undefined) q = q.where('conversation_id', '=', cid);
    return (await q.execute()).map((r) => r.conversation_id);
  }
}

/** The membership and hiding rules of message_list, over `m` (messages). */
function visibleTo(orgId: string, viewerId: string, cid: string | undefined): RawBuilder<unknown> {
  const member = sql`m.cid in (select p.conversation_id from conversation_participants p where p.organization_id = ${orgId} and p.user_id = ${viewerId})`;
  return sql`m.organization_id = ${orgId} and ${member}${cid === undefined ? sql`` : sql` and m.cid = ${cid}`}
    and not exists (select 1 from message_hidden h where h.mid = m.id and h.user_id = ${viewerId})`;
}

/** SQLite: FTS5 MATCH on the body column (and the scope column), ranked by bm25 (lower is better). */
function sqliteSearch(orgId: string, viewerId: string, q: MessageSearchQuery, scope: readonly string[] | undefined): RawBuilder<HitRow> {
  let match = `{body} : (${q.phrases.map(fts5Phrase).join(' AND ')})`;
  if (scope) match += ` AND {scope} : (${scope.map((c) => `"${c}"`).join(' OR ')})`;
  return sql<HitRow>`select m.*, -bm25(message_search, 1.0, 0.0) as search_rank
    from message_search join messages m on m.rowid = message_search.rowid
    where message_search match ${match} and ${visibleTo(orgId, viewerId, q.cid)}
    order by bm25(message_search, 1.0, 0.0), m.id desc
    limit ${q.limit} offset ${q.offset}`;
}

/** PostgreSQL: the GIN index on message_search.doc, ranked by ts_rank over the query's words. */
function postgresSearch(orgId: string, viewerId: string, q: MessageSearchQuery, scope: readonly string[] | undefined): RawBuilder<HitRow> {
  const words = q.phrases.map(tsPhrase).join(' & ');
  // Scope lexemes are cast, not parsed: '~<cid>' is exactly how the index stores them.
  const within = scope ? sql` && cast(${scope.map((c) => `'~${c}'`).join(' | ')} as tsquery)` : sql``;
  return sql<HitRow>`select m.*, ts_rank(s.doc, w.q) as search_rank
    from (select to_tsquery('simple', ${words}) as q) w
    join message_search s on s.doc @@ (w.q${within})
    join messages m on m.id = s.mid
    where s.organization_id = ${orgId} and ${visibleTo(orgId, viewerId, q.cid)}
    order by search_rank desc, m.id desc
    limit ${q.limit} offset ${q.offset}`;
}
