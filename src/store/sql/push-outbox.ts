import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { PendingPush, PushOutboxEntry, PushOutboxQuery, PushOutboxRecord, PushOutboxState, PushOutboxStats, PushOutboxStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import { parseJson } from './dialect.js';
import type { Database, PushOutboxTable } from './schema.js';

/** The table row of a new outbox entry: no tries yet, due at once. */
export function newOutboxRow(p: PushOutboxRecord): PushOutboxTable {
  return { id: p._id, organization_id: p.organization_id, user_id: p.user_id, payload: p.payload, attempts: 0, next_attempt_at: p.created_at, created_at: p.created_at, sent_to: null };
}

function toPending(r: PushOutboxTable): PendingPush {
  return { _id: r.id, organization_id: r.organization_id, user_id: r.user_id, payload: r.payload, created_at: r.created_at, attempts: r.attempts, sent_to: parseJson<string[]>(r.sent_to) ?? [] };
}

function stateOf(r: PushOutboxTable, now: number): PushOutboxState {
  if (Number(r.attempts) === 0) return 'new';
  return r.next_attempt_at <= now ? 'due' : 'waiting';
}

/** The condition for rows in `state` at `now` (see PushOutboxState). */
function inState(eb: ExpressionBuilder<Database, 'push_outbox'>, state: PushOutboxState, now: number): Expression<SqlBool> {
  switch (state) {
    case 'new':
      return eb('attempts', '=', 0);
    case 'due':
      return eb.and([eb('attempts', '>', 0), eb('next_attempt_at', '<=', now)]);
    case 'waiting':
      return eb.and([eb('attempts', '>', 0), eb('next_attempt_at', '>', now)]);
  }
}

/**
 * PushOutboxStore over Kysely (both dialects). Rows are written by SqlMessageStore.insert and
 * SqlPushEventStore.create. The lease is the row's next_attempt_at moved into the future: a
 * claimed row is not due until the worker reports back or the lease runs out.
 */
export class SqlPushOutboxStore implements PushOutboxStore {
  constructor(private readonly ctx: SqlContext) {}

  async pending(limit: number, now: number): Promise<PendingPush[]> {
    const rows = await this.ctx.db.selectFrom('push_outbox').selectAll().where('next_attempt_at', '<=', now).orderBy('next_attempt_at').orderBy('id').limit(limit).execute();
    return rows.map(toPending);
  }

  claim(limit: number, now: number, leaseUntil: number): Promise<PendingPush[]> {
    // SQLite: one writer at a time, so select-then-update in a transaction is atomic.
    // PostgreSQL: rows locked by another node's claim are skipped, never returned twice.
    return this.ctx.db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('push_outbox').selectAll().where('next_attempt_at', '<=', now).orderBy('next_attempt_at').orderBy('id').limit(limit);
      if (this.ctx.dialect.name === 'postgres') query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (rows.length === 0) return [];
      await trx.updateTable('push_outbox').set((eb) => ({ next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1) })).where('id', 'in', rows.map((r) => r.id)).execute();
      return rows.map((r) => toPending({ ...r, attempts: Number(r.attempts) + 1 }));
    });
  }

  async enqueue(rows: readonly PushOutboxRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ctx.db
      .insertInto('push_outbox')
      .values(rows.map(newOutboxRow))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async markSent(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('push_outbox').where('id', '=', id).execute();
  }

  async markFailed(id: string, nextAttemptAt: number, sentTo?: readonly string[]): Promise<void> {
    await this.ctx.db
      .updateTable('push_outbox')
      .set({ next_attempt_at: nextAttemptAt, ...(sentTo === undefined ? {} : { sent_to: sentTo.length === 0 ? null : JSON.stringify(sentTo) }) })
      .where('id', '=', id)
      .execute();
  }

  async count(): Promise<number> {
    const r = await this.ctx.db.selectFrom('push_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async stats(now: number, orgId?: string): Promise<PushOutboxStats> {
    const due = sql`(attempts = 0 or next_attempt_at <= ${now})`;
    let q = this.ctx.db.selectFrom('push_outbox').select([
      sql<number>`count(*)`.as('total'),
      sql<number>`sum(case when attempts = 0 then 1 else 0 end)`.as('fresh'),
      sql<number>`sum(case when attempts > 0 and next_attempt_at <= ${now} then 1 else 0 end)`.as('due'),
      sql<number>`sum(case when attempts > 0 and next_attempt_at > ${now} then 1 else 0 end)`.as('waiting'),
      sql<number | null>`min(created_at)`.as('oldest'),
      sql<number | null>`min(case when ${due} then created_at end)`.as('oldest_due'),
      sql<number | null>`max(attempts)`.as('max_attempts'),
    ]);
    if (orgId !== undefined) q = q.where('organization_id', '=', orgId);
    const r = await q.executeTakeFirstOrThrow();
    const n = (v: unknown): number => Number(v ?? 0);
    return {
      total: n(r.total),
      byState: { new: n(r.fresh), due: n(r.due), waiting: n(r.waiting) },
      oldestCreatedAt: r.oldest === null ? null : Number(r.oldest),
      oldestDueCreatedAt: r.oldest_due === null ? null : Number(r.oldest_due),
      maxAttempts: n(r.max_attempts),
    };
  }

  async list(query: PushOutboxQuery, now: number): Promise<PushOutboxEntry[]> {
    let q = this.ctx.db.selectFrom('push_outbox').selectAll();
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    if (query.orgId !== undefined) q = q.where('organization_id', '=', query.orgId);
    if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
    const state = query.state;
    if (state !== undefined) q = q.where((eb) => inState(eb, state, now));
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return rows.map((r) => ({ ...toPending(r), attempts: Number(r.attempts), next_attempt_at: Number(r.next_attempt_at), state: stateOf(r, now) }));
  }

  async retryNow(now: number, query: { orgId?: string; ids?: readonly string[]; resetAttempts?: boolean }): Promise<number> {
    if (query.ids?.length === 0) return 0;
    let q = this.ctx.db.updateTable('push_outbox').where('attempts', '>', 0);
    if (query.resetAttempts === true) {
      q = q.set({ attempts: 0, next_attempt_at: sql<number>`case when next_attempt_at > ${now} then ${now} else next_attempt_at end` });
    } else {
      q = q.set({ next_attempt_at: now }).where('next_attempt_at', '>', now);
    }
    if (query.orgId !== undefined) q = q.where('organization_id', '=', query.orgId);
    if (query.ids !== undefined) q = q.where('id', 'in', [...query.ids]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async purge(query: { createdBefore?: number; orgId?: string }, limit: number): Promise<number> {
    let pick = this.ctx.db.selectFrom('push_outbox').select('id');
    if (query.createdBefore !== undefined) pick = pick.where('created_at', '<', query.createdBefore);
    if (query.orgId !== undefined) pick = pick.where('organization_id', '=', query.orgId);
    const ids = (await pick.orderBy('id').limit(limit).execute()).map((r) => r.id);
    if (ids.length === 0) return 0;
    const r = await this.ctx.db.deleteFrom('push_outbox').where('id', 'in', ids).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
