import type { FlagSpecs, ParsedArgs } from './args.js';

/**
 * Keyset paging of the listing commands (org list, user list, push list): `--limit <n>` rows
 * after `--after <id>`; a full page names its last id as `next`, which the following call passes
 * to `--after`. `idWord` names what the id is in the help ("user id", "row id").
 */
export function pageFlags(defaultLimit: number, idWord = 'id'): FlagSpecs {
  return {
    limit: { type: 'int', value: '<n>', help: `at most this many (default ${String(defaultLimit)})` },
    after: { type: 'string', value: '<id>', help: `start after this ${idWord} (the \`next\` of the previous page)` },
  };
}

/** The page the flags of pageFlags ask for (a limit below 1 counts as 1). */
export function pageOf(args: ParsedArgs, defaultLimit: number): { limit: number; afterId?: string } {
  const limit = Math.max(1, args.int('limit', defaultLimit));
  const afterId = args.string('after');
  return afterId === undefined ? { limit } : { limit, afterId };
}

/** The `next` cursor: the last row's id when the page came back full, else null (no more). */
export function nextAfter(rows: readonly { readonly _id: string }[], limit: number): string | null {
  return rows.length === limit ? (rows[rows.length - 1]?._id ?? null) : null;
}

/** A listing's text with the hint for the following page, when there is one. */
export function withMore(text: string, next: string | null): string {
  return next ? `${text}\nmore: --after ${next}` : text;
}
