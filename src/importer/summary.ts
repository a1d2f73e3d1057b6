/**
 * What an import did, per collection: records read, imported, skipped on purpose and bad, with
 * the reasons counted, the bad records listed (position in the file, id, why), changes made on
 * the way in, and fields Parley keeps no place for. `--json` prints it as it is.
 */

/** Bad records listed per collection; the rest are counted. */
export const LISTED_BAD_RECORDS = 1000;

export interface BadRecord {
  /** 1-based position: document number in a .bson file, line number in a .json file. */
  readonly at: number;
  readonly id?: string;
  readonly reason: string;
}

export interface CollectionSummary {
  readonly collection: string;
  /** The dump file read, when there was one. */
  file?: string;
  /** `absent`: no file for it in the dump; `interrupted`: stopped before its end. */
  status: 'done' | 'absent' | 'interrupted';
  read: number;
  imported: number;
  skipped: number;
  bad: number;
  readonly skippedReasons: Record<string, number>;
  readonly badReasons: Record<string, number>;
  readonly badRecords: BadRecord[];
  /** Bad records beyond LISTED_BAD_RECORDS. */
  badNotListed: number;
  /** Records imported with a change (renamed, without a pair key, …), by what changed. */
  readonly notes: Record<string, number>;
  /** Fields present in the dump that were not imported: how many records had each, and why. */
  readonly fieldsNotCarried: Record<string, { count: number; reason: string }>;
  seconds: number;
}

export interface ImportSummary {
  readonly dir: string;
  readonly store: 'sqlite' | 'postgres';
  readonly startedAt: string;
  seconds: number;
  /** False when the run was interrupted; running the same command again finishes it. */
  complete: boolean;
  readonly collections: CollectionSummary[];
  /** Files in the dump that were not read, and why. */
  readonly ignoredFiles: { name: string; reason: string }[];
  readonly totals: { read: number; imported: number; skipped: number; bad: number };
}

export function emptyCollection(collection: string, file?: string): CollectionSummary {
  return { collection, ...(file !== undefined ? { file } : {}), status: file === undefined ? 'absent' : 'done', read: 0, imported: 0, skipped: 0, bad: 0, skippedReasons: {}, badReasons: {}, badRecords: [], badNotListed: 0, notes: {}, fieldsNotCarried: {}, seconds: 0 };
}

/** Counts one bad record and lists it while the list has room. */
export function addBad(c: CollectionSummary, at: number, id: string | undefined, reason: string, detail?: string): void {
  c.bad += 1;
  c.badReasons[reason] = (c.badReasons[reason] ?? 0) + 1;
  if (c.badRecords.length < LISTED_BAD_RECORDS) c.badRecords.push({ at, ...(id !== undefined ? { id } : {}), reason: detail === undefined ? reason : `${reason}: ${detail}` });
  else c.badNotListed += 1;
}

export function addSkipped(c: CollectionSummary, reason: string): void {
  c.skipped += 1;
  c.skippedReasons[reason] = (c.skippedReasons[reason] ?? 0) + 1;
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);

/** The summary as text for a terminal: a table, then reasons, bad records (up to `listBad` per collection), notes and dropped fields. */
export function formatSummary(s: ImportSummary, listBad = 20): string {
  const out: string[] = [];
  out.push(`SAMA import from ${s.dir} into ${s.store}: ${s.complete ? 'complete' : 'INTERRUPTED (run the same command again to finish; nothing is imported twice)'} in ${s.seconds.toFixed(1)} s`);
  out.push('');
  out.push(`${'collection'.padEnd(28)}${pad('read', 10)}${pad('imported', 10)}${pad('skipped', 10)}${pad('bad', 8)}${pad('rec/s', 10)}`);
  for (const c of s.collections) {
    if (c.status === 'absent') continue;
    const rate = c.seconds > 0 ? Math.round(c.read / c.seconds) : c.read;
    out.push(`${c.collection.padEnd(28)}${pad(c.read, 10)}${pad(c.imported, 10)}${pad(c.skipped, 10)}${pad(c.bad, 8)}${pad(rate, 10)}${c.status === 'interrupted' ? '  interrupted' : ''}`);
  }
  out.push(`${'total'.padEnd(28)}${pad(s.totals.read, 10)}${pad(s.totals.imported, 10)}${pad(s.totals.skipped, 10)}${pad(s.totals.bad, 8)}`);
  const section = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    out.push('', title, ...lines);
  };
  const absent = s.collections.filter((c) => c.status === 'absent').map((c) => c.collection);
  section('Not in the dump:', absent.length > 0 ? [`  ${absent.join(', ')}`] : []);
  section(
    'Skipped (on purpose):',
    s.collections.flatMap((c) => Object.entries(c.skippedReasons).map(([r, n]) => `  ${c.collection}: ${n} × ${r}`)),
  );
  section(
    'Bad records (not imported):',
    s.collections.flatMap((c) => [
      ...Object.entries(c.badReasons).map(([r, n]) => `  ${c.collection}: ${n} × ${r}`),
      ...c.badRecords.slice(0, listBad).map((b) => `    ${c.file ?? c.collection} #${b.at}${b.id !== undefined ? ` (_id ${b.id})` : ''}: ${b.reason}`),
      ...(c.bad > listBad ? [`    … ${c.bad - listBad} more (--json lists up to ${LISTED_BAD_RECORDS} per collection)`] : []),
    ]),
  );
  section(
    'Imported with a change:',
    s.collections.flatMap((c) => Object.entries(c.notes).map(([r, n]) => `  ${c.collection}: ${n} × ${r}`)),
  );
  section(
    'Fields not carried over:',
    s.collections.flatMap((c) => Object.entries(c.fieldsNotCarried).map(([f, v]) => `  ${c.collection}.${f} (in ${v.count} of ${c.read} records): ${v.reason}`)),
  );
  section(
    'Files not read:',
    s.ignoredFiles.map((f) => `  ${f.name}: ${f.reason}`),
  );
  return `${out.join('\n')}\n`;
}
