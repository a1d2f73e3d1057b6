import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Store } from '../store.js';
import type { SqlDialect } from '../sql/dialect.js';
import { createSqlStore } from '../sql/index.js';
import { migrate } from '../sql/migrate.js';
import { MIGRATIONS, forDialect } from '../sql/migrations.js';
import type { Database } from '../sql/schema.js';
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

export interface SqliteOptions {
  /** Directory holding `parley.db`; created if missing. */
  readonly dataDir: string;
  /** FULL (default): each commit is fsynced. NORMAL: WAL commits survive a process crash, not power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How often the writer thread checkpoints what the event-loop connection wrote (ms). */
  readonly checkpointIntervalMs?: number;
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
  // This connection serves the event loop: it never checkpoints (the writer thread does), so a
  // commit here never stalls the loop copying the WAL.
  file.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(file) }) });
  await migrate(db, forDialect(MIGRATIONS, 'sqlite'));
  const writer = new SqliteMessageWriter({ file: path, synchronous: opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL', checkpointPages: 16_000, checkpointIntervalMs: opts.checkpointIntervalMs ?? 10_000 });
  return createSqlStore(db, sqliteDialect, () => writer.close().then(() => db.destroy()), writer.write);
}
