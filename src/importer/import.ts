import { basename } from 'node:path';
import type { Progress } from '../cli/progress.js';
import { DEFAULT_ORGANIZATION } from '../domain/organizations.js';
import { COLLECTIONS, NOT_IMPORTED } from './collections.js';
import type { Deriver } from './derived.js';
import { Lookups, type Refs } from './lookups.js';
import { listDump, readDump, type DumpFile } from './reader.js';
import type { CollectionSpec, Mapped, MapSettings, Parsed } from './spec.js';
import { addBad, addSkipped, emptyCollection, type CollectionSummary, type ImportSummary } from './summary.js';
import { TABLES, type ImportTable, type Row } from './tables.js';
import { marks, type ImportTarget, type TargetTx } from './target.js';
import { Reject, anyId } from './values.js';

/**
 * The import: every collection of the dump in reference order, read as a stream, in batches.
 * Each batch is mapped, its references looked up, and its rows written in one transaction that
 * leaves out rows already stored. So a second run adds nothing, and a run stopped anywhere (even
 * killed) is finished by running it again: committed batches are found stored, the rest is
 * written.
 */

export interface ImportOptions {
  readonly dir: string;
  readonly target: ImportTarget;
  readonly settings: MapSettings;
  /** SAMA organization id → Parley organization id (`--map-organization`). */
  readonly orgMap?: ReadonlyMap<string, string>;
  /** Records per transaction (default 1,000). */
  readonly batchSize?: number;
  /** Stops the import between records; what was committed stays, the summary says `complete: false`. */
  readonly signal?: AbortSignal;
  /** A progress display per collection. */
  readonly progress?: (collection: string) => Progress;
}

/** A reason for a record whose rows were all found stored already. */
export const ALREADY_STORED = 'already in Parley (an earlier run, or the same record twice in the dump)';

interface Rejected {
  readonly reason: string;
  readonly detail?: string;
}
type Outcome = { kind: 'imported'; note?: string } | (Rejected & { kind: 'bad' }) | (Rejected & { kind: 'skip' });

interface Pending {
  readonly at: number;
  readonly id: string | undefined;
  readonly parsed: Parsed;
}

interface Built {
  readonly at: number;
  readonly id: string | undefined;
  readonly mapped: Mapped;
}

export async function importDump(o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const listing = listDump(o.dir);
  const look = new Lookups(o.target, o.orgMap ?? new Map());
  const summary: ImportSummary = { dir: listing.dir, store: o.target.dialect, startedAt: new Date().toISOString(), seconds: 0, complete: true, collections: [], ignoredFiles: [], totals: { read: 0, imported: 0, skipped: 0, bad: 0 } };
  const used = new Set<string>();
  for (const spec of COLLECTIONS) {
    if (spec.collection === 'users') await ensureDefaultOrganization(o.target, o.settings.now);
    const name = [spec.collection, ...(spec.aliases ?? [])].find((n) => listing.files.has(n));
    const file = name === undefined ? undefined : listing.files.get(name);
    if (!file) {
      summary.collections.push(emptyCollection(spec.collection));
      continue;
    }
    used.add(file.collection);
    const c = await importCollection(spec, file, look, o);
    summary.collections.push(c);
    for (const k of ['read', 'imported', 'skipped', 'bad'] as const) summary.totals[k] += c[k];
    if (c.status === 'interrupted') {
      summary.complete = false;
      break;
    }
  }
  for (const f of listing.files.values()) {
    if (used.has(f.collection)) continue;
    const known = COLLECTIONS.some((spec) => spec.collection === f.collection || spec.aliases?.includes(f.collection));
    summary.ignoredFiles.push({ name: basename(f.path), reason: NOT_IMPORTED[f.collection] ?? (known ? (summary.complete ? 'another file of the same collection was read' : 'not reached (interrupted)') : 'not a SAMA collection the importer knows') });
  }
  for (const name of listing.ignored) summary.ignoredFiles.push({ name, reason: name.includes('.metadata.json') ? "mongodump's index and option metadata" : 'not a .bson or .json collection file' });
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * Creates Parley's "default" organization as the server's first start would, unless the id or
 * the name is taken (a SAMA organization named "default" keeps its name, as it would have with
 * the server). After the dump's organizations, so that `--map-organization <id>=default` works on
 * a store the server never opened.
 */
async function ensureDefaultOrganization(target: ImportTarget, now: number): Promise<void> {
  await target.transaction((tx) => tx.insert('organizations', [{ id: DEFAULT_ORGANIZATION._id, name: DEFAULT_ORGANIZATION.name, created_at: now, updated_at: now }]));
}

function mergeRefs(batch: readonly Pending[]): Refs {
  const out: Required<Refs> = { organizations: [], orgNames: [], users: [], conversations: [], messages: [], pairs: [], identityKeys: [] };
  for (const { parsed } of batch) {
    for (const k of Object.keys(parsed.refs) as (keyof Refs)[]) {
      const ids = parsed.refs[k];
      if (ids) for (const id of ids) out[k].push(id);
    }
  }
  return out;
}

async function importCollection(spec: CollectionSpec, file: DumpFile, look: Lookups, o: ImportOptions): Promise<CollectionSummary> {
  const started = performance.now();
  const c = emptyCollection(spec.collection, basename(file.path));
  const known = new Set(spec.fields);
  const size = Math.max(1, o.batchSize ?? 1000);
  const progress = o.progress?.(spec.collection);
  const deriver = spec.derive?.();
  let batch: Pending[] = [];
  let ticked = 0;
  let bytes = 0;

  const write = async (pending: readonly Pending[]): Promise<void> => {
    if (pending.length > 0) await writeBatch(spec, pending, look, o.target, c, deriver);
    progress?.setTotal(Math.max(c.read, Math.round((c.read * file.size) / Math.max(bytes, 1))));
    progress?.tick(c.read - ticked);
    ticked = c.read;
  };
  // One batch is written while the next one is read and parsed (with PostgreSQL the two run on
  // different cores). A batch's write starts only after the previous one has finished, so its
  // lookups and the counts see everything before it.
  let writing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;
  const settle = async (): Promise<void> => {
    await writing;
    if (failed) throw failed.error;
  };
  const flush = async (): Promise<void> => {
    const pending = batch;
    batch = [];
    await settle();
    writing = write(pending).catch((error: unknown) => {
      failed = { error };
    });
  };

  for await (const entry of readDump(file)) {
    if (o.signal?.aborted === true) {
      c.status = 'interrupted';
      break;
    }
    c.read += 1;
    bytes = entry.bytesRead;
    const doc = entry.doc;
    if (doc === undefined) {
      addBad(c, entry.at, undefined, 'unreadable', entry.error);
      continue;
    }
    if (spec.openFields !== true) {
      for (const field of Object.keys(doc)) {
        if (known.has(field)) continue;
        const seen = (c.fieldsNotCarried[field] ??= { count: 0, reason: spec.dropped?.[field] ?? 'not a field of this collection Parley knows' });
        seen.count += 1;
      }
    }
    const id = anyId(doc._id);
    try {
      batch.push({ at: entry.at, id, parsed: spec.parse(doc, o.settings, look) });
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      count(c, entry.at, id, err);
    }
    if (batch.length >= size) await flush();
  }
  if (c.status !== 'interrupted') {
    await flush();
    await settle();
    await deriver?.finish(o.target);
  } else {
    batch = [];
    await settle();
  }
  progress?.setTotal(c.read);
  progress?.done();
  c.seconds = (performance.now() - started) / 1000;
  return c;
}

function count(c: CollectionSummary, at: number, id: string | undefined, outcome: Reject | Outcome): void {
  const o: Outcome = outcome instanceof Reject ? { kind: outcome.kind === 'bad' ? 'bad' : 'skip', reason: outcome.reason, ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) } : outcome;
  if (o.kind === 'bad') addBad(c, at, id, o.reason, o.detail);
  else if (o.kind === 'skip') addSkipped(c, o.reason);
  else {
    c.imported += 1;
    if (o.note !== undefined) c.notes[o.note] = (c.notes[o.note] ?? 0) + 1;
  }
}

/**
 * Maps and writes one batch in a transaction. If the store refuses a value of the batch, each
 * record is written alone to find the ones it refuses (reported as bad); any other error (the
 * database went away, …) stops the import, which a rerun then finishes.
 */
async function writeBatch(spec: CollectionSpec, pending: readonly Pending[], look: Lookups, target: ImportTarget, c: CollectionSummary, deriver: Deriver | undefined): Promise<void> {
  await look.prefetch(mergeRefs(pending));
  const built: Built[] = [];
  for (const p of pending) {
    try {
      built.push({ at: p.at, id: p.id, mapped: p.parsed.build(look) });
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      count(c, p.at, p.id, err);
    }
  }
  if (built.length === 0) return;
  let outcomes: Outcome[];
  try {
    outcomes = await target.transaction((tx) => writeRows(spec, tx, built));
  } catch (err) {
    if (!target.refusesRecord(err)) throw err;
    // The store refused a value: write the records one by one to find which.
    outcomes = [];
    for (const b of built) {
      try {
        outcomes.push(...(await target.transaction((tx) => writeRows(spec, tx, [b]))));
      } catch (one) {
        if (!target.refusesRecord(one)) throw one;
        outcomes.push({ kind: 'bad', reason: 'refused by the store', detail: one instanceof Error ? one.message : String(one) });
      }
    }
  }
  built.forEach((b, i) => {
    const outcome = outcomes[i] ?? { kind: 'bad', reason: 'no outcome' };
    count(c, b.at, b.id, outcome);
    if (deriver && (outcome.kind === 'imported' || (outcome.kind === 'skip' && outcome.reason === ALREADY_STORED))) for (const r of b.mapped.rows) deriver.add(r);
  });
}

async function writeRows(spec: CollectionSpec, tx: TargetTx, built: readonly Built[]): Promise<Outcome[]> {
  const rows: Row[] = [];
  const owner: number[] = [];
  built.forEach((b, i) => {
    for (const r of b.mapped.rows) {
      rows.push(r);
      owner.push(i);
    }
  });
  const flags = await tx.insert(spec.table, rows);
  const inserted = built.map(() => false);
  flags.forEach((f, j) => {
    if (f) inserted[owner[j] ?? 0] = true;
  });
  const extra = new Map<ImportTable, Row[]>();
  built.forEach((b, i) => {
    if (!inserted[i]) return;
    for (const e of b.mapped.extra ?? []) {
      let list = extra.get(e.table);
      if (!list) extra.set(e.table, (list = []));
      for (const r of e.rows) list.push(r);
    }
  });
  for (const [table, list] of extra) await tx.insert(table, list);

  const outcomes: Outcome[] = built.map((b, i) => (inserted[i] ? { kind: 'imported', ...(b.mapped.note !== undefined ? { note: b.mapped.note } : {}) } : { kind: 'skip', reason: ALREADY_STORED }));
  const missed = built.map((_, i) => i).filter((i) => !inserted[i]);
  if (spec.explainClash && missed.length > 0) {
    // Not inserted and its key not stored: it clashed on another unique key (login, pair, …).
    const [key] = TABLES[spec.table].key;
    if (key === undefined || TABLES[spec.table].key.length !== 1) throw new Error(`${spec.table}: clash checks need a one-column key`);
    const keys = [...new Set(missed.flatMap((i) => built[i]?.mapped.rows.map((r) => String(r[key])) ?? []))];
    const stored = new Set<string>();
    for (let at = 0; at < keys.length; at += 500) {
      const chunk = keys.slice(at, at + 500);
      for (const r of await tx.select<Record<string, string>>(`select ${key} as k from ${spec.table} where ${key} in (${marks(chunk.length)})`, chunk)) stored.add(String(r.k));
    }
    for (const i of missed) {
      const row = built[i]?.mapped.rows[0];
      if (row && !stored.has(String(row[key]))) outcomes[i] = await spec.explainClash(row, tx);
    }
  }
  return outcomes;
}
