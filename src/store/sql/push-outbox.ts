import type { PendingPush, PushOutboxRecord, PushOutboxStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import { parseJson } from './dialect.js';
import type { PushOutboxTable } from './schema.js';

/** The table row of a new outbox entry: no tries yet, due at once. */
export function newOutboxRow(p: PushOutboxRecord): PushOutboxTable {
  return { id: p._id, organization_id: p.organization_id, user_id: p.user_id, payload: p.payload, attempts: 0, next_attempt_at: p.created_at, created_at: p.created_at, sent_to: null };
}

function toPending(r: PushOutboxTable): PendingPush {
  return { _id: r.id, organization_id: r.organization_id, user_id: r.user_id, payload: r.payload, created_at: r.created_at, attempts: r.attempts, sent_to: parseJson<string[]>(r.sent_to) ?? [] };
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
}
