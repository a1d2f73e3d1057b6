import type { Selectable } from 'kysely';
import type { DataExportRecord, DataExportStore, MessageRecord } from '../store.js';
import type { SqlContext } from './dialect.js';
import { messageFromRow } from './messages.js';
import type { DataExportsTable } from './schema.js';

function toRecord(r: Selectable<DataExportsTable>): DataExportRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    user_id: r.user_id,
    requested_by: r.requested_by === 'admin' ? 'admin' : 'user',
    status: r.status as DataExportRecord['status'],
    lease_until: r.lease_until === null ? null : Number(r.lease_until),
    size: r.size === null ? null : Number(r.size),
    error: r.error,
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    expires_at: Number(r.expires_at),
  };
}

/** DataExportStore over Kysely (both dialects). */
export class SqlDataExportStore implements DataExportStore {
  constructor(private readonly ctx: SqlContext) {}

  async insert(job: DataExportRecord): Promise<void> {
    await this.ctx.db
      .insertInto('data_exports')
      .values({ id: job._id, organization_id: job.organization_id, user_id: job.user_id, requested_by: job.requested_by, status: job.status, lease_until: job.lease_until, size: job.size, error: job.error, created_at: job.created_at, updated_at: job.updated_at, expires_at: job.expires_at })
      .execute();
  }

  async byId(orgId: string, userId: string, id: string): Promise<DataExportRecord | undefined> {
    const r = await this.ctx.db.selectFrom('data_exports').selectAll().where('organization_id', '=', orgId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  async forUser(orgId: string, userId: string): Promise<DataExportRecord[]> {
    const rows = await this.ctx.db.selectFrom('data_exports').selectAll().where('organization_id', '=', orgId).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toRecord);
  }

  claim(now: number, leaseUntil: number): Promise<DataExportRecord | undefined> {
    return this.ctx.db.transaction().execute(async (trx) => {
      let pick = trx
        .selectFrom('data_exports')
        .select('id')
        .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)])]))
        .orderBy('created_at')
        .limit(1);
      // PostgreSQL: a job another node is claiming right now is skipped, not waited for.
      if (this.ctx.dialect.name === 'postgres') pick = pick.forUpdate().skipLocked();
      const due = await pick.executeTakeFirst();
      if (!due) return undefined;
      const r = await trx.updateTable('data_exports').set({ status: 'running', lease_until: leaseUntil, updated_at: now }).where('id', '=', due.id).returningAll().executeTakeFirst();
      return r && toRecord(r);
    });
  }

  async finish(id: string, leaseUntil: number, outcome: { status: 'ready'; size: number } | { status: 'failed'; error: string }, now: number): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('data_exports')
      .set({ status: outcome.status, lease_until: null, size: outcome.status === 'ready' ? outcome.size : null, error: outcome.status === 'failed' ? outcome.error.slice(0, 1000) : null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_until', '=', leaseUntil)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async expired(now: number, limit: number): Promise<DataExportRecord[]> {
    const rows = await this.ctx.db.selectFrom('data_exports').selectAll().where('expires_at', '<', now).orderBy('expires_at').limit(limit).execute();
    return rows.map(toRecord);
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.ctx.db.deleteFrom('data_exports').where('id', 'in', [...ids]).execute();
  }

  async sentMessages(orgId: string, userId: string, afterId: string | null, limit: number): Promise<MessageRecord[]> {
    let q = this.ctx.db.selectFrom('messages').selectAll().where('organization_id', '=', orgId).where('from_id', '=', userId);
    if (afterId !== null) q = q.where('id', '>', afterId);
    return (await q.orderBy('id').limit(limit).execute()).map(messageFromRow);
  }
}
