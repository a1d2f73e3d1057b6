import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Wraps a better-sqlite3 handle so Kysely reuses prepared statements instead of preparing (parsing
 * and planning) the same SQL on every query — under load that preparation cost more CPU than
 * running the statements (see docs/benchmarks.md). Safe because better-sqlite3 runs each
 * statement to completion synchronously, so one statement object is never used twice at once.
 * The cache is bounded; the least recently used statement is dropped first. Kysely's `begin` is
 * run as `begin immediate`.
 */
export function cachingDatabase(db: BetterSqlite3.Database, capacity = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      // Two connections write (this one and the message writer thread). A deferred transaction
      // that reads and then writes could not upgrade its lock after the other connection
      // committed (SQLITE_BUSY without waiting), so transactions take the write lock up front.
      const sql = text === 'begin' ? 'begin immediate' : text;
      const hit = cache.get(sql);
      if (hit) {
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql) as unknown as SqliteStatement;
      cache.set(sql, stmt);
      if (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return stmt;
    },
  };
}
