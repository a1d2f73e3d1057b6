import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Counts of the work a step asked of PostgreSQL and Redis, read from the servers themselves:
 * exact (unlike CPU time, they do not depend on what else the machine runs), so they are the
 * figures a capacity model can carry to other machines. For the bench only.
 */

/** One statement shape as pg_stat_statements normalises it, over one step. */
export interface StatementCount {
  query: string;
  calls: number;
  /** Mean execution time inside PostgreSQL, ms (planning excluded). */
  meanMs: number;
}

/** Needs `shared_preload_libraries=pg_stat_statements` on the server. */
export class PgStatements {
  private constructor(private readonly client: pg.Client) {}

  /** Connects to `url`'s database and creates the extension there. */
  static async open(url: string): Promise<PgStatements> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('create extension if not exists pg_stat_statements');
    } catch (err) {
      await client.end();
      throw err;
    }
    return new PgStatements(client);
  }

  /** Forgets every count so far (server-wide). */
  async reset(): Promise<void> {
    await this.client.query('select pg_stat_statements_reset()');
  }

  /** Statements run in this database since the last reset, most called first; this class's own are left out. */
  async read(): Promise<StatementCount[]> {
    const r = await this.client.query<{ query: string; calls: string; mean: number }>(
      `select query, calls, mean_exec_time as mean from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'
        order by calls desc`,
    );
    return r.rows.map((row) => ({ query: row.query.replace(/\s+/g, ' ').slice(0, 160), calls: Number(row.calls), meanMs: Math.round(row.mean * 1000) / 1000 }));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** Redis's per-command call counts (INFO commandstats), read as differences. */
export class RedisCommands {
  private base = new Map<string, number>();

  private constructor(private readonly client: Redis) {}

  static async open(url: string): Promise<RedisCommands> {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    const c = new RedisCommands(client);
    c.base = await c.counts();
    return c;
  }

  private async counts(): Promise<Map<string, number>> {
    const text = await this.client.info('commandstats');
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] as string, Number(m[2]));
    return out;
  }

  /** Calls per command since the previous call (or since open), most called first; INFO itself left out. */
  async delta(): Promise<Record<string, number>> {
    const now = await this.counts();
    const diff = [...now].map(([cmd, n]) => [cmd, n - (this.base.get(cmd) ?? 0)] as const).filter(([cmd, n]) => n > 0 && cmd !== 'info');
    this.base = now;
    return Object.fromEntries(diff.sort((a, b) => b[1] - a[1]));
  }

  close(): void {
    this.client.disconnect();
  }
}
