import type { PushOutboxRecord, PushOutboxStore } from '../store.js';
import type { SqlContext } from './dialect.js';

/** PushOutboxStore over Kysely (both dialects). Rows are written by SqlMessageStore.insert. */
export class SqlPushOutboxStore implements PushOutboxStore {
  constructor(private readonly ctx: SqlContext) {}

  async pending(limit: number, now: number): Promise<(PushOutboxRecord & { attempts: number })[]> {
    const rows = await this.ctx.db.selectFrom('push_outbox').selectAll().where('next_attempt_at', '<=', now).orderBy('next_attempt_at').orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ _id: r.id, organization_id: r.organization_id, user_id: r.user_id, payload: r.payload, created_at: r.created_at, attempts: r.attempts }));
  }

  async markSent(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('push_outbox').where('id', '=', id).execute();
  }

  async markFailed(id: string, nextAttemptAt: number): Promise<void> {
    await this.ctx.db.updateTable('push_outbox').set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: nextAttemptAt })).where('id', '=', id).execute();
  }

  async count(): Promise<number> {
    const r = await this.ctx.db.selectFrom('push_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
