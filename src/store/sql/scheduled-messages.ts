import { sql } from 'kysely';
import type { ScheduleInsert, ScheduledMessage, ScheduledMessageRecord, ScheduledMessageStore, ScheduledState } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { ScheduledMessagesTable } from './schema.js';

function toScheduled(r: ScheduledMessagesTable): ScheduledMessage {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    from: r.user_id,
    cid: r.cid,
    client_id: r.client_id,
    content: JSON.parse(r.content) as Record<string, unknown>,
    send_at: Number(r.send_at),
    created_at: Number(r.created_at),
    state: r.state as ScheduledState,
    attempts: Number(r.attempts),
    claimed_by: r.claimed_by,
    server_mid: r.server_mid,
    error: r.error,
    finished_at: r.finished_at === null ? null : Number(r.finished_at),
  };
}

/**
 * ScheduledMessageStore over Kysely (both dialects). The lease is claimed_until: a pending row
 * whose claimed_until is after `now` belongs to the dispatcher that claimed it.
 */
export class SqlScheduledMessageStore implements ScheduledMessageStore {
  constructor(private readonly ctx: SqlContext) {}

  insert(row: ScheduledMessageRecord, maxPending: number): Promise<ScheduleInsert> {
    return this.ctx.db.transaction().execute(async (trx): Promise<ScheduleInsert> => {
      // SQLite has one writer at a time. PostgreSQL: the author's row lock makes the count and
      // the insert one step, so concurrent schedules (even on other nodes) cannot pass the cap.
      if (this.ctx.dialect.name === 'postgres') await trx.selectFrom('users').select('id').where('id', '=', row.from).forUpdate().execute();
      const existing = await trx.selectFrom('scheduled_messages').selectAll().where('organization_id', '=', row.organization_id).where('user_id', '=', row.from).where('client_id', '=', row.client_id).executeTakeFirst();
      if (existing) return { kind: 'exists', record: toScheduled(existing) };
      const counted = await trx.selectFrom('scheduled_messages').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', row.from).where('state', '=', 'pending').where('organization_id', '=', row.organization_id).executeTakeFirst();
      if (Number(counted?.n ?? 0) >= maxPending) return { kind: 'limit' };
      const table: ScheduledMessagesTable = {
        id: row._id,
        organization_id: row.organization_id,
        user_id: row.from,
        cid: row.cid,
        client_id: row.client_id,
        content: JSON.stringify(row.content),
        send_at: row.send_at,
        state: 'pending',
        attempts: 0,
        claimed_by: null,
        claimed_until: null,
        server_mid: null,
        error: null,
        finished_at: null,
        created_at: row.created_at,
      };
      await trx.insertInto('scheduled_messages').values(table).execute();
      return { kind: 'created', record: toScheduled(table) };
    });
  }

  async list(orgId: string, userId: string, query: { readonly cid?: string; readonly after?: { readonly sendAt: number; readonly id: string }; readonly limit: number }): Promise<ScheduledMessage[]> {
    let q = this.ctx.db.selectFrom('scheduled_messages').selectAll().where('user_id', '=', userId).where('state', '=', 'pending').where('organization_id', '=', orgId);
    if (query.cid !== undefined) q = q.where('cid', '=', query.cid);
    const after = query.after;
    if (after !== undefined) q = q.where((eb) => eb.or([eb('send_at', '>', after.sendAt), eb.and([eb('send_at', '=', after.sendAt), eb('client_id', '>', after.id)])]));
    const rows = await q.orderBy('send_at').orderBy('client_id').limit(query.limit).execute();
    return rows.map(toScheduled);
  }

  async byClientId(orgId: string, userId: string, clientId: string): Promise<ScheduledMessage | undefined> {
    const r = await this.ctx.db.selectFrom('scheduled_messages').selectAll().where('organization_id', '=', orgId).where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
    return r && toScheduled(r);
  }

  async cancel(orgId: string, userId: string, clientId: string, now: number): Promise<boolean> {
    const r = await this.ctx.db
      .deleteFrom('scheduled_messages')
      .where('organization_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async nextDue(): Promise<number | null> {
    const r = await this.ctx.db
      .selectFrom('scheduled_messages')
      .select(sql<number | null>`min(case when claimed_until is not null and claimed_until > send_at then claimed_until else send_at end)`.as('due'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return r?.due === null || r?.due === undefined ? null : Number(r.due);
  }

  claim(limit: number, now: number, leaseUntil: number, owner: string): Promise<ScheduledMessage[]> {
    // SQLite: one writer at a time, so select-then-update in a transaction is atomic.
    // PostgreSQL: rows locked by another node's claim are skipped, never returned twice.
    return this.ctx.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('scheduled_messages')
        .selectAll()
        .where('state', '=', 'pending')
        .where('send_at', '<=', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
        .orderBy('send_at')
        .orderBy('id')
        .limit(limit);
      if (this.ctx.dialect.name === 'postgres') query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (rows.length === 0) return [];
      await trx
        .updateTable('scheduled_messages')
        .set((eb) => ({ claimed_by: owner, claimed_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', rows.map((r) => r.id))
        .execute();
      return rows.map((r) => toScheduled({ ...r, attempts: Number(r.attempts) + 1, claimed_by: owner, claimed_until: leaseUntil }));
    });
  }

  async finish(id: string, outcome: { readonly state: 'sent'; readonly serverMid: string } | { readonly state: 'failed'; readonly error: string }, now: number): Promise<void> {
    await this.ctx.db
      .updateTable('scheduled_messages')
      .set({ state: outcome.state, server_mid: outcome.state === 'sent' ? outcome.serverMid : null, error: outcome.state === 'failed' ? outcome.error : null, finished_at: now, claimed_until: null })
      .where('id', '=', id)
      .execute();
  }

  async sweep(before: number, limit: number): Promise<number> {
    const ids = (await this.ctx.db.selectFrom('scheduled_messages').select('id').where('state', '<>', 'pending').where('finished_at', '<', before).orderBy('finished_at').limit(limit).execute()).map((r) => r.id);
    if (ids.length === 0) return 0;
    const r = await this.ctx.db.deleteFrom('scheduled_messages').where('id', 'in', ids).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
