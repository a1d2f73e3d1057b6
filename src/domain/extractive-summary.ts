/**
 * A summary that needs no network: the chat's most representative sentences, picked by term
 * frequency, shown in their original order. What `message_summary` answers when no AI provider
 * is configured.
 */

/** One chat message as the summary sees it. */
export interface ChatLine {
  readonly author: string;
  readonly text: string;
}

export interface ExtractiveOptions {
  /** Most sentences picked. */
  readonly maxSentences: number;
  /** Longest answer, characters; a longer one is cut at a word with "…". */
  readonly maxChars: number;
}

/** Words too common to say what a chat is about (English; other languages rely on frequency alone). */
const STOP_WORDS = new Set(
  ('a about above after again all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yes ok okay oh hi hey hello thanks thank please yeah yep lol im dont its thats'
  ).split(' '),
);

interface Sentence {
  readonly index: number;
  readonly author: string;
  readonly text: string;
  readonly words: readonly string[];
}

/** Content words of a sentence: lower-cased letter/number runs, stop words and 1-letter words dropped. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [])
    .map((w) => w.replace(/['’]/g, ''))
    .filter((w) => (w.length > 1 || /\P{ASCII}/u.test(w)) && !STOP_WORDS.has(w));
}

/** Splits a message into sentences at . ! ? … (and their CJK forms) and line breaks. */
function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…。！？])\s+|\n+/u)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

/**
 * The summary of `lines` (oldest first): every sentence is scored by how frequent its content
 * words are across the whole chat (normalised by the most frequent word, divided by the square
 * root of its length so long sentences do not win by length alone); the `maxSentences` best are
 * kept — skipping any that repeat most of the words of one already kept — and shown in chat order
 * as "author: sentence", one per line. Empty when no sentence has a content word.
 */
export function extractiveSummary(lines: readonly ChatLine[], opts: ExtractiveOptions): string {
  const sentences: Sentence[] = [];
  for (const line of lines) {
    for (const text of splitSentences(line.text)) sentences.push({ index: sentences.length, author: line.author, text, words: contentWords(text) });
  }
  const freq = new Map<string, number>();
  for (const s of sentences) for (const w of new Set(s.words)) freq.set(w, (freq.get(w) ?? 0) + 1);
  let top = 0;
  for (const n of freq.values()) top = Math.max(top, n);
  if (top === 0) return '';
  const score = (s: Sentence): number => {
    const distinct = new Set(s.words);
    let sum = 0;
    for (const w of distinct) sum += (freq.get(w) ?? 0) / top;
    return sum / Math.sqrt(Math.max(distinct.size, 3));
  };
  const ranked = sentences
    .filter((s) => s.words.length > 0)
    .map((s) => ({ s, score: score(s) }))
    // Ties go to the later sentence: in a chat the latest word on a subject is the one that holds.
    .sort((a, b) => b.score - a.score || b.s.index - a.s.index);
  const picked: Sentence[] = [];
  for (const { s } of ranked) {
    if (picked.length >= opts.maxSentences) break;
    if (picked.some((p) => overlap(p.words, s.words) > 0.7)) continue;
    picked.push(s);
  }
  picked.sort((a, b) => a.index - b.index);
  return cap(picked.map((s) => `${s.author}: ${s.text}`).join('\n'), opts.maxChars);
}

/** Share of the smaller sentence's distinct words that the other sentence has too. */
function overlap(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let shared = 0;
  for (const w of sa) if (sb.has(w)) shared += 1;
  return shared / Math.max(1, Math.min(sa.size, sb.size));
}

/** `text` cut to at most `max` characters, at a word boundary where one is near, with "…". */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  // Never split a surrogate pair (an emoji) in two.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
