import { requireMember } from '../../domain/conversations.js';
import { messageWire } from '../../domain/messages.js';
import { byRelevance, parseSearchQuery, snippetOf } from '../../domain/search.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/** Hits per page when the request names no limit. */
const DEFAULT_LIMIT = 20;

/**
 * A search ranks the newest this-many matching messages the caller can see, and pages through
 * them. Ranked results cannot be walked by key (a rank is not a stable position), so a page is
 * an offset into the ranked window; the window keeps every search's cost bounded whatever a word's
 * frequency (docs/benchmarks.md, Full-text search). A search whose hits are older than the
 * window should be narrower (more words, or a `cid`).
 */
export const MAX_SEARCH_HITS = 300;

/** The cursor of the page that starts at `offset`: opaque to clients (base64url of `o<offset>`). */
export function searchCursor(offset: number): string {
  return Buffer.from(`o${offset}`).toString('base64url');
}

/** The offset a cursor names, or undefined for one this server would not have handed out. */
export function cursorOffset(cursor: string): number | undefined {
  const m = /^o([1-9][0-9]{0,3})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const offset = m ? Number(m[1]) : NaN;
  // Re-encoding must give the same text: no padding, no stray characters, one spelling per page.
  return offset < MAX_SEARCH_HITS && searchCursor(offset) === cursor ? offset : undefined;
}

/**
 * `parley_message_search` (Parley's own; docs/protocol-extensions.md, Full-text search): the
 * caller's best hits for `query`, in one conversation (`cid`) or every conversation the caller
 * is in, under message_list's rules: the same error as message_list for a `cid` the caller may
 * not read, messages hidden for the caller left out, encrypted messages never found. Each hit is
 * the message as message_list shows it plus a snippet with the matched words' offsets.
 */
export const parleyMessageSearch = defineHandler({
  kind: 'parley_message_search',
  auth: true,
  schema: RequestSchemas.parley_message_search,
  errors: {
    fields: { query: Errors.incorrectSearchQuery, cid: Errors.cidRequired, limit: Errors.incorrectSearchLimit, cursor: Errors.incorrectSearchCursor },
    otherwise: Errors.incorrectSearchRequest,
  },
  async handle(input, { deps, session }) {
    const { store } = deps;
    const phrases = parseSearchQuery(input.query);
    if (!phrases) throw samaError(Errors.incorrectSearchQuery);
    const offset = input.cursor === undefined ? 0 : cursorOffset(input.cursor);
    if (offset === undefined) throw samaError(Errors.incorrectSearchCursor);
    if (input.cid !== undefined) {
      const { conversation } = await requireMember(store, session.orgId, input.cid, session.userId);
      // Nothing of an encrypted conversation is indexed; say so without asking the index.
      if (conversation.is_encrypted) return { response: { hits: [] } };
    }
    const limit = Math.min(input.limit ?? DEFAULT_LIMIT, MAX_SEARCH_HITS - offset);
    const candidates = await store.search.newestMatches(session.orgId, session.userId, { phrases, ...(input.cid !== undefined ? { cid: input.cid } : {}), limit: MAX_SEARCH_HITS });
    const ranked = byRelevance(candidates, phrases);
    const page = ranked.slice(offset, offset + limit);
    const ids = page.map((m) => m._id);
    const [read, reactions] = await Promise.all([store.statuses.withAnyStatus(page.filter((m) => m.from === session.userId).map((m) => m._id)), store.reactions.summaries(ids, session.userId)]);
    const hits = page.map((m) => {
      const message = messageWire(m);
      if (m.from === session.userId) message.status = read.has(m._id) ? 'read' : 'sent';
      message.reactions = reactions.get(m._id) ?? {};
      const snippet = snippetOf(m.body ?? '', phrases);
      return { message, snippet: snippet.text, highlights: snippet.highlights.map(([s, e]) => [s, e]) };
    });
    const next = offset + limit;
    return { response: { hits, ...(ranked.length > next ? { cursor: searchCursor(next) } : {}) } };
  },
});
