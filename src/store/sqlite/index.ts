import BetterSqlite3 from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Kysely, SqliteDialect } from 'kysely';
import type { Store } from '../store.js';
import type { SqlDialect } from '../sql/dialect.js';
import { createSqlStore } from '../sql/index.js';
import { migrate } from '../sql/migrate.js';
import { MIGRATIONS, forDialect } from '../sql/migrations.js';
import type { Database } from '../sql/schema.js';
import { SqliteCheckpointer } from './checkpointer.js';
import { SqliteMessageWriter } from './message-writer.js';
import { cachingDatabase } from './statement-cache.js';

/** SQLite facts for the shared SQL code. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  uniqueViolation(err) {
    const code = (err as { code?: unknown }).code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? String((err as Error).message) : undefined;
  },
};

/**
 * A WAL file that grew past this is cut back when it starts over. Three seconds of commits at
 * 4,000 msg/s (about 50 MB of WAL a second) stay under it, so under steady load the file is
 * written over in place instead of cut and grown again every round.
 */
const WAL_SIZE_LIMIT = 256 * 2 ** 20;
/**
 * Time between checkpoints. Each round copies every page changed since the last one and then
 * flushes the database file; a commit whose own flush overlaps that one waits about 3 ms instead
 * of 0.3. Every 3 s instead of every second, a round copies a hot index page once where it did
 * three times: about a third as many commits are held up, for CPU that falls too
 * (docs/benchmarks.md, Round three: p99 at 3,000 msg/s lower in 4 of 4 alternating pairs).
 * The price is a WAL of up to a few seconds of commits, which a restart after a crash reads back.
 */
const CHECKPOINT_INTERVAL_MS = 3000;

export interface SqliteOptions {
  /** Directory holding `parley.db`; created if missing. */
  readonly dataDir: string;
  /** FULL (default): each commit is fsynced. NORMAL: WAL commits survive a process crash, not power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Time between WAL checkpoints, made by a thread of their own (ms; default 3 s). */
  readonly checkpointIntervalMs?: number;
  /**
   * False: no message-writer or checkpoint thread, for short-lived tools (the admin CLI), which
   * would wait longer for the threads to start than for their own work. Such a store cannot
   * insert messages (the writer thread is SQLite's only message writer): `messages.insert`
   * rejects. SQLite checkpoints the WAL itself.
   */
  readonly threads?: boolean;
}

/**
 * Opens (creating and migrating) the embedded store. WAL journal with synchronous=FULL by default:
 * a commit is on disk before its promise resolves, so an ack survives a crash or power loss; group
 * commit keeps that affordable. Message batches are written by a second connection in a worker
 * thread, so their commits do not stop the event loop; every transaction on the main connection
 * takes the write lock when it begins (see cachingDatabase).
 */
export async function openSqliteStore(opts: SqliteOptions): Promise<Store> {
  mkdirSync(opts.dataDir, { recursive: true });
  const path = join(opts.dataDir, 'parley.db');
  const file = new BetterSqlite3(path);
  file.pragma('journal_mode = WAL');
  file.pragma(`synchronous = ${opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  // Checkpoints are the checkpoint thread's, so a commit here never stalls the event loop
  // copying the WAL.
  file.pragma('wal_autocheckpoint = 0');
  file.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(file) }) });
  await migrate(db, forDialect(MIGRATIONS, 'sqlite'));
  if (opts.threads === false) {
    file.pragma('wal_autocheckpoint = 1000');
    const noWriter = (): Promise<never> => Promise.reject(new Error('this SQLite store was opened without its writer thread (threads: false): it cannot insert messages'));
    return createSqlStore(db, sqliteDialect, () => db.destroy(), { messageWriter: noWriter });
  }
  const channel = new MessageChannel();
  const writer = new SqliteMessageWriter({ file: path, synchronous: opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL', walSizeLimitBytes: WAL_SIZE_LIMIT, checkpoints: channel.port1 });
  const syncFd = openSync(path, 'r');
  const checkpointer = new SqliteCheckpointer({ file: path, intervalMs: opts.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS, writer: channel.port2, syncFd });
  const close = async (): Promise<void> => {
    await checkpointer.close();
    await writer.close();
    await db.destroy();
    // Last: closing it earlier would drop the locks of the connections still open (see CheckpointerSetup.syncFd).
    closeSync(syncFd);
  };
  return createSqlStore(db, sqliteDialect, close, { messageWriter: writer.write, searchIndexCatchUp: writer.searchIndexCatchUp });
}

/**
 * The schema versions recorded in the embedded database of `dataDir`, read without creating or
 * migrating anything (`admin doctor`); undefined when there is no database file yet.
 */
export function readSqliteSchemaVersions(dataDir: string): number[] | undefined {
  const path = join(dataDir, 'parley.db');
  if (!existsSync(path)) return undefined;
  const file = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    file.pragma('busy_timeout = 5000');
    const table = file.prepare("select name from sqlite_master where type = 'table' and name = 'schema_migrations'").get();
    if (table === undefined) return [];
    return (file.prepare('select version from schema_migrations').all() as { version: number }[]).map((r) => Number(r.version));
  } finally {
    file.close();
  }
}
