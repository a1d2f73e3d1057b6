import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Store } from '../store.js';
import type { SqlDialect } from '../sql/dialect.js';
import { createSqlStore } from '../sql/index.js';
import { migrate } from '../sql/migrate.js';
import { MIGRATIONS, forDialect } from '../sql/migrations.js';
import type { Database } from '../sql/schema.js';

/** PostgreSQL facts for the shared SQL code. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  uniqueViolation(err) {
    const e = err as { code?: unknown; constraint?: unknown; detail?: unknown };
    return e.code === '23505' ? `${String(e.constraint)} ${String(e.detail)}` : undefined;
  },
};

/** int8 columns hold epoch milliseconds and counters, all well inside 2^53: parse them as numbers. */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/** Arbitrary constant that names Parley's migration lock among advisory locks. */
const MIGRATION_LOCK = 0x5041524c;

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize?: number;
  /**
   * Called when an idle pooled connection fails (server restart, network cut). The pool drops
   * that connection and opens a new one on demand; without a listener such an error would
   * crash the process.
   */
  readonly onIdleError?: (err: Error) => void;
  /** Several nodes share this database: chain message inserts (SqlContext.orderAcrossNodes). */
  readonly orderAcrossNodes?: boolean;
}

/**
 * Connects to PostgreSQL and migrates under an advisory lock, so nodes starting together apply
 * each step once.
 */
export async function openPostgresStore(opts: PostgresOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, types });
  pool.on('error', (err) => opts.onIdleError?.(err));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
      try {
        await migrate(conn, forDialect(MIGRATIONS, 'postgres'));
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
      }
    });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createSqlStore(db, postgresDialect, () => db.destroy(), { orderAcrossNodes: opts.orderAcrossNodes ?? false });
}

/**
 * Connects once, without migrating (`admin doctor`): the server's version and the schema
 * versions recorded in the database (empty for a database Parley never started on).
 */
export async function readPostgresSchemaVersions(url: string, timeoutMs: number): Promise<{ serverVersion: string; versions: number[] }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, types });
  await client.connect();
  try {
    const version = await client.query<{ server_version: string }>('show server_version');
    const table = await client.query<{ t: string | null }>("select to_regclass('schema_migrations')::text as t");
    const versions = table.rows[0]?.t == null ? [] : (await client.query<{ version: number }>('select version from schema_migrations')).rows.map((r) => Number(r.version));
    return { serverVersion: version.rows[0]?.server_version ?? 'unknown', versions };
  } finally {
    await client.end();
  }
}
