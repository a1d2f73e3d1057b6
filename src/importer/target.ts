import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore } from '../store/postgres/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { TABLES, rowKey, type ImportTable, type Row } from './tables.js';

/**
 * Where an import writes: Parley's store, opened (and migrated) the way the server opens it, then
 * written in bulk through a connection of the importer's own. Statements use `?` placeholders in
 * both dialects. Nothing else should write while an import runs (the server's caches would not
 * see the rows): stop Parley first.
 */
export interface ImportTarget {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` as one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: TargetTx) => Promise<T>): Promise<T>;
  /** A read outside any transaction. */
  select<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /**
   * True when `err` is the store refusing a row's values (a constraint, a value it cannot hold):
   * the record is bad, the import goes on. Anything else (connection lost, disk full) stops it.
   */
  refusesRecord(err: unknown): boolean;
  /** Makes everything written durable and closes the connection. */
  close(): Promise<void>;
}

const SQLITE_RECORD_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
/** PostgreSQL error classes 22 (data exception) and 23 (integrity constraint violation). */
const POSTGRES_RECORD_ERRORS = /^2[23][0-9A-Z]{3}$/;

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** What a transaction can do. */
export interface TargetTx {
  /**
   * Inserts the rows, leaving out every row that clashes with a stored one (or an earlier row of
   * the same call) on any unique key. Per row: true if it was inserted.
   */
  insert(table: ImportTable, rows: readonly Row[]): Promise<boolean[]>;
  /** Runs a statement that returns nothing. */
  run(sql: string, params: readonly unknown[]): Promise<void>;
  select<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
}

/** `?, ?, ?` for an IN list of `n` values. */
export function marks(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

function columnsOf(table: ImportTable): string[] {
  return Object.keys(TABLES[table].columns);
}

/** Opens the SQLite store in `dataDir` (creating and migrating it) for an import. */
export async function openSqliteTarget(dataDir: string): Promise<ImportTarget> {
  // The server's own open creates the file and applies every migration; then it is closed and
  // the import gets a plain connection.
  await (await openSqliteStore({ dataDir })).close();
  const db = new BetterSqlite3(join(dataDir, 'parley.db'));
  db.pragma('journal_mode = WAL');
  // Commits need not reach the disk one by one: a machine crash mid-import loses at most the
  // last batches, which a rerun writes again. close() checkpoints, which syncs everything.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Fewer, larger checkpoints than SQLite's default of one per 1,000 pages written.
  db.pragma('wal_autocheckpoint = 16384');
  const inserts = new Map<ImportTable, BetterSqlite3.Statement>();
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string): BetterSqlite3.Statement => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const tx: TargetTx = {
    insert(table, rows) {
      let stmt = inserts.get(table);
      const cols = columnsOf(table);
      if (!stmt) inserts.set(table, (stmt = db.prepare(`insert into ${table} (${cols.join(', ')}) values (${marks(cols.length)}) on conflict do nothing`)));
      const s = stmt;
      return Promise.resolve(rows.map((r) => s.run(cols.map((c) => r[c] ?? null)).changes > 0));
    },
    run(sql, params) {
      prepared(sql).run(...params);
      return Promise.resolve();
    },
    select<T>(sql: string, params: readonly unknown[]) {
      return Promise.resolve(prepared(sql).all(...params) as T[]);
    },
  };
  return {
    dialect: 'sqlite',
    async transaction(work) {
      db.exec('begin immediate');
      try {
        const out = await work(tx);
        db.exec('commit');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('rollback');
        throw err;
      }
    },
    select: (sql, params) => tx.select(sql, params),
    refusesRecord: (err) => SQLITE_RECORD_ERRORS.test(errorCode(err)),
    close() {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      return Promise.resolve();
    },
  };
}

/** `?` placeholders → PostgreSQL's `$1, $2, …` (the importer's SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Opens the PostgreSQL store at `url` (migrating it like the server does) for an import. */
export async function openPostgresTarget(url: string): Promise<ImportTarget> {
  await (await openPostgresStore({ url, poolSize: 1 })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tx: TargetTx = {
    async insert(table, rows) {
      if (rows.length === 0) return [];
      const spec = TABLES[table];
      const types = spec.columns as Readonly<Record<string, string>>;
      // One array per column, unnested back into rows: a batch is one statement with one
      // parameter per column, however many rows it has.
      const unnest = (cols: readonly string[], from: readonly Row[]): { list: string; params: unknown[] } => ({
        list: `unnest(${cols.map((c, i) => `$${i + 1}::${types[c] ?? 'text'}[]`).join(', ')})`,
        params: cols.map((c) => from.map((r) => r[c] ?? null)),
      });
      // Rows already stored are found first: a conflicting insert costs PostgreSQL several times
      // an index lookup, and a rerun consists of nothing else.
      const keys = unnest(spec.key, rows);
      const found = await client.query<Row>(`select ${spec.key.map((k) => `t.${k}`).join(', ')} from ${table} t join ${keys.list} as v(${spec.key.join(', ')}) on ${spec.key.map((k) => `t.${k} = v.${k}`).join(' and ')}`, keys.params);
      const stored = new Set(found.rows.map((r) => rowKey(table, r)));
      const fresh = rows.filter((r) => !stored.has(rowKey(table, r)));
      if (fresh.length === 0) return rows.map(() => false);
      const cols = columnsOf(table);
      const values = unnest(cols, fresh);
      const res = await client.query<Row>(`insert into ${table} (${cols.join(', ')}) select * from ${values.list} on conflict do nothing returning ${spec.key.join(', ')}`, values.params);
      const inserted = new Set(res.rows.map((r) => rowKey(table, r)));
      // A key inserted once counts for its first row only (later duplicates in the batch were left out).
      return rows.map((r) => inserted.delete(rowKey(table, r)));
    },
    async run(sql, params) {
      await client.query(numbered(sql), [...params]);
    },
    async select<T>(sql: string, params: readonly unknown[]) {
      const res = await client.query(numbered(sql), [...params]);
      return res.rows as T[];
    },
  };
  return {
    dialect: 'postgres',
    async transaction(work) {
      await client.query('begin');
      try {
        const out = await work(tx);
        await client.query('commit');
        return out;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    },
    select: (sql, params) => tx.select(sql, params),
    refusesRecord: (err) => POSTGRES_RECORD_ERRORS.test(errorCode(err)),
    close: () => client.end(),
  };
}
