/**
 * The words of `parley_message_search` (docs/protocol-extensions.md, Full-text search): how a
 * query is cut into words and phrases, and how a hit's snippet is cut and highlighted. Both
 * stores index the same words: runs of letters, digits and marks, lower-cased, accents kept
 * (SQLite FTS5 `unicode61` with `remove_diacritics 0`; PostgreSQL's `simple` configuration
 * after ASCII punctuation became spaces), so a query means the same thing on either store.
 */

/** A word: a run of letters, digits, marks and private-use characters (FTS5 unicode61's token characters). */
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/** At most this many words in one query; more is a bad request (each one is a posting-list walk). */
export const MAX_QUERY_WORDS = 16;

/**
 * A parsed query: every phrase must occur (AND); a phrase is one word or several that must
 * follow each other. Words are lower-cased.
 */
export type SearchPhrases = readonly (readonly string[])[];

/** The query's words, lower-cased, in order (what a phrase or a highlight is made of). */
export function wordsOf(text: string): string[] {
  return [...text.toLowerCase().matchAll(WORD)].map((m) => m[0]);
}

/**
 * Cuts a query into phrases: text inside double quotes is one phrase, every other word is a
 * phrase of its own. Everything that is not a word (operators, punctuation, an unpaired quote)
 * separates words and means nothing else, so no input is a syntax error. Returns undefined when
 * the query has no word or more than MAX_QUERY_WORDS.
 */
export function parseSearchQuery(text: string): SearchPhrases | undefined {
  const phrases: string[][] = [];
  const parts = text.split('"');
  parts.forEach((part, n) => {
    // Odd parts were between quotes (an unpaired last quote quotes nothing).
    const quoted = n % 2 === 1 && n < parts.length - 1;
    const words = wordsOf(part);
    if (quoted && words.length > 0) phrases.push(words);
    else for (const w of words) phrases.push([w]);
  });
  const count = phrases.reduce((n, p) => n + p.length, 0);
  if (count === 0 || count > MAX_QUERY_WORDS) return undefined;
  return phrases;
}

/** A highlighted excerpt: `highlights` are [start, end) UTF-16 offsets into `text`. */
export interface Snippet {
  readonly text: string;
  readonly highlights: readonly (readonly [number, number])[];
}

/** Characters of body a snippet shows at most (plus an ellipsis at each cut end). */
export const SNIPPET_CHARS = 160;

/**
 * The part of `body` around its first matched word, with every occurrence of a query word in
 * it marked. Matching is per word, as the index matches (a phrase's words are each marked).
 * Offsets, not markup: the client draws the highlight, and no body text can pass for markup.
 */
export function snippetOf(body: string, phrases: SearchPhrases, maxChars: number = SNIPPET_CHARS): Snippet {
  const wanted = new Set(phrases.flat());
  const marks: [number, number][] = [];
  for (const m of body.matchAll(WORD)) {
    if (wanted.has(m[0].toLowerCase())) marks.push([m.index, m.index + m[0].length]);
  }
  if (body.length <= maxChars) return { text: body, highlights: marks };
  // Start a little before the first match (a quarter of the window), on a word boundary.
  const first = marks[0]?.[0] ?? 0;
  let start = Math.max(0, Math.min(first - Math.floor(maxChars / 4), body.length - maxChars));
  while (start > 0 && start < first && /\S/.test(body[start - 1] ?? '')) start++;
  let end = Math.min(body.length, start + maxChars);
  // Never cut a surrogate pair.
  if (end < body.length && /[\uD800-\uDBFF]/.test(body[end - 1] ?? '')) end--;
  const lead = start > 0 ? '…' : '';
  const tail = end < body.length ? '…' : '';
  const shift = lead.length - start;
  const inside = marks.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift] as [number, number]);
  return { text: lead + body.slice(start, end) + tail, highlights: inside };
}

/** BM25's term-frequency saturation and length normalisation (the usual values). */
const K1 = 1.2;
const B = 0.75;

/** How many times `phrase` occurs in `words` (consecutive words). */
function occurrences(words: readonly string[], phrase: readonly string[]): number {
  let n = 0;
  for (let i = 0; i + phrase.length <= words.length; i++) if (phrase.every((w, k) => words[i + k] === w)) n++;
  return n;
}

/**
 * Orders candidates by relevance, best first; ties keep their given order (newest first). The
 * score is BM25 without its IDF factor: every candidate holds every phrase (the query is an
 * AND), so the phrases' document frequencies would weigh all candidates alike; what remains is
 * how often each phrase occurs, saturating, against the body's length relative to the
 * candidates' mean. Computed here, over the bodies the store returned, so both stores rank the
 * same messages the same way.
 */
export function byRelevance<T extends { readonly body: string | null }>(candidates: readonly T[], phrases: SearchPhrases): T[] {
  const tokenized = candidates.map((c) => wordsOf(c.body ?? ''));
  const mean = tokenized.reduce((n, w) => n + w.length, 0) / Math.max(1, tokenized.length) || 1;
  const scores = tokenized.map((words) =>
    phrases.reduce((sum, p) => {
      const tf = occurrences(words, p);
      return sum + (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * words.length) / mean));
    }, 0),
  );
  return candidates.map((c, i) => ({ c, i, s: scores[i] ?? 0 })).sort((x, y) => y.s - x.s || x.i - y.i).map((x) => x.c);
}
