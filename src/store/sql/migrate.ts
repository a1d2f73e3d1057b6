import { sql, type Kysely } from 'kysely';

/** One schema step ready to run on one engine. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements run in order inside one transaction. */
  readonly statements: readonly string[];
}

/**
 * Applies every migration newer than those recorded in `schema_migrations`, each in its own
 * transaction. Callers that may race (several PostgreSQL nodes starting together) pass a `db`
 * bound to one connection that holds a lock for the duration.
 * Returns the versions it applied.
 */
export async function migrate<DB>(db: Kysely<DB>, migrations: readonly Migration[]): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  await sql`create table if not exists schema_migrations (version integer primary key, name text not null, applied_at bigint not null)`.execute(db);
  const done = await sql<{ version: number }>`select version from schema_migrations`.execute(db);
  const applied = new Set(done.rows.map((r) => Number(r.version)));
  const ran: number[] = [];
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    await db.transaction().execute(async (trx) => {
      for (const statement of m.statements) await sql.raw(statement).execute(trx);
      await sql`insert into schema_migrations (version, name, applied_at) values (${m.version}, ${m.name}, ${Date.now()})`.execute(trx);
    });
    ran.push(m.version);
  }
  return ran;
}
