/** Text output helpers of the admin CLI (the JSON output needs none). */

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** An epoch-ms time as ISO text, or `-`. */
export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

/** `3h 5m` style age of `ms` at `now`: the largest unit and the next one. */
export function age(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const units = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const;
  const found = units.findIndex(([, size]) => s >= size);
  const i = found === -1 ? units.length - 1 : found;
  const [unit, size] = units[i] ?? units[3];
  const next = units[i + 1];
  const head = `${String(Math.floor(s / size))}${unit}`;
  return next === undefined ? head : `${head} ${String(Math.floor((s % size) / next[1]))}${next[0]}`;
}

/** `table: n` lines for per-table counts, largest first; `(nothing)` when empty. */
export function counts(rows: Readonly<Record<string, number>>, indent = '  '): string {
  const entries = Object.entries(rows).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return `${indent}(nothing)`;
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, n]) => `${indent}${k.padEnd(width)}  ${String(n)}`).join('\n');
}

/** `n thing` / `n things`. */
export function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : /(s|sh|ch|x)$/.test(word) ? 'es' : 's'}`;
}
