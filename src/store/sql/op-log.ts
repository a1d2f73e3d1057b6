import type { OpLogRecord, OpLogStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { OperationsLogTable } from './schema.js';

const toRecord = (r: OperationsLogTable): OpLogRecord => ({ _id: r.id, organization_id: r.organization_id, user_id: r.user_id, packet: r.packet, created_at: r.created_at, expires_at: r.expires_at });

/** OpLogStore over Kysely (both dialects). */
export class SqlOpLogStore implements OpLogStore {
  constructor(private readonly ctx: SqlContext) {}

  async append(rows: readonly OpLogRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ctx.db
      .insertInto('operations_log')
      .values(rows.map((r) => ({ id: r._id, organization_id: r.organization_id, user_id: r.user_id, packet: r.packet, created_at: r.created_at, expires_at: r.expires_at })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async list(orgId: string, userId: string, q: { gt?: number; lt?: number; limit: number }, now: number): Promise<OpLogRecord[]> {
    let query = this.ctx.db.selectFrom('operations_log').selectAll().where('organization_id', '=', orgId).where('user_id', '=', userId).where('expires_at', '>', now);
    if (q.gt !== undefined) query = query.where('created_at', '>', q.gt);
    if (q.lt !== undefined) query = query.where('created_at', '<', q.lt);
    // With only `lt`, take the newest rows before it; either way return them oldest first.
    const newestFirst = q.gt === undefined && q.lt !== undefined;
    const rows = await query
      .orderBy('created_at', newestFirst ? 'desc' : 'asc')
      .orderBy('id', newestFirst ? 'desc' : 'asc')
      .limit(q.limit)
      .execute();
    if (newestFirst) rows.reverse();
    return rows.map(toRecord);
  }

  async sweep(now: number): Promise<number> {
    const r = await this.ctx.db.deleteFrom('operations_log').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
