import { sql, type SelectQueryBuilder, type Selectable, type Transaction } from 'kysely';
import type { GuardedInsert, InboxEntry, InsertGuard, MessageInsert, MessageListQuery, MessageRecord, MessageStore, PushOutboxRecord } from '../store.js';
import { idFloorAt } from '../../protocol/ids.js';
import type { SqlContext } from './dialect.js';
import { parseJson } from './dialect.js';
import { GroupCommitter } from './group-commit.js';
import { STALE_VIEW, type ChainedInsert, type MessageBatchItem, type MessageBatchWriter } from './message-batch.js';
import type { Database, MessagesTable } from './schema.js';

function toRow(m: MessageRecord): MessagesTable {
  return {
    id: m._id,
    organization_id: m.organization_id,
    cid: m.cid,
    from_id: m.from,
    client_id: m.client_id,
    body: m.body,
    attachments: m.attachments === null ? null : JSON.stringify(m.attachments),
    x: m.x === null ? null : JSON.stringify(m.x),
    replied_message_id: m.replied_message_id,
    forwarded_message_id: m.forwarded_message_id,
    encrypted_message_type: m.encrypted_message_type,
    t: m.t,
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

/** Row → record. */
export function messageFromRow(r: MessagesTable): MessageRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    cid: r.cid,
    from: r.from_id,
    client_id: r.client_id,
    body: r.body,
    attachments: parseJson<Record<string, unknown>[]>(r.attachments),
    x: parseJson<Record<string, unknown>>(r.x),
    replied_message_id: r.replied_message_id,
    forwarded_message_id: r.forwarded_message_id,
    encrypted_message_type: r.encrypted_message_type,
    t: r.t,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** A message_list query before its time window, order and limit. */
type MessageListBase = SelectQueryBuilder<Database & { m: MessagesTable }, 'm', Selectable<MessagesTable>>;

/** Deletes a conversation's messages inside the transaction that deletes the conversation. */
export async function deleteConversationMessages(trx: Transaction<Database>, cid: string): Promise<void> {
  await trx.deleteFrom('encrypted_inbox').where('cid', '=', cid).where('mid', 'in', (eb) => eb.selectFrom('messages').select('id').where('cid', '=', cid)).execute();
  await trx.deleteFrom('message_hidden').where('cid', '=', cid).execute();
  await trx.deleteFrom('messages').where('cid', '=', cid).execute();
}

/** One row of parley_append_messages: an inserted item, or (null stored_id) one refused for an outdated view (migrations 14, 19). */
interface AppendedRow {
  item: number;
  stored_id: string | null;
  prev_id: string | null;
  prev_created_at: string | number | null;
}

/**
 * The batch writer for PostgreSQL: the whole batch is one autocommit call of
 * parley_append_messages (migrations 14 and 19 say what it does), so it has committed when the
 * reply arrives, in one round trip. With `ctx.orderAcrossNodes` the function also chains each
 * message to its conversation's previous one under the conversation's row lock, and refuses
 * items whose guard's view version is outdated (STALE_VIEW).
 */
function postgresBatchWriter(ctx: SqlContext): MessageBatchWriter {
  const chain = ctx.orderAcrossNodes === true;
  return async (items) => {
    const rows = items.map((i) => toRow(i.record));
    const col = <K extends keyof MessagesTable>(k: K): MessagesTable[K][] => rows.map((r) => r[k]);
    const hidden = items.flatMap((i, n) => i.hiddenFor.map((user) => ({ n, user })));
    const pushes = items.flatMap((i, n) => i.pushes.map((p) => ({ n, p })));
    const inbox = items.flatMap((i, n) => (i.inbox ? i.inbox.devices.map((d) => ({ n, d, expires: i.inbox?.expiresAt ?? 0 })) : []));
    const appended = await sql<AppendedRow>`select * from parley_append_messages(
      ${col('id')}::text[], ${col('organization_id')}::text[], ${col('cid')}::text[], ${col('from_id')}::text[], ${col('client_id')}::text[],
      ${col('body')}::text[], ${col('attachments')}::text[], ${col('x')}::text[], ${col('replied_message_id')}::text[],
      ${col('forwarded_message_id')}::text[], ${col('encrypted_message_type')}::integer[], ${col('t')}::bigint[],
      ${col('created_at')}::bigint[], ${col('updated_at')}::bigint[],
      ${hidden.map((h) => h.n)}::integer[], ${hidden.map((h) => h.user)}::text[],
      ${pushes.map((x) => x.n)}::integer[], ${pushes.map((x) => x.p._id)}::text[], ${pushes.map((x) => x.p.organization_id)}::text[],
      ${pushes.map((x) => x.p.user_id)}::text[], ${pushes.map((x) => x.p.payload)}::text[], ${pushes.map((x) => x.p.created_at)}::bigint[],
      ${inbox.map((x) => x.n)}::integer[], ${inbox.map((x) => x.d.user_id)}::text[], ${inbox.map((x) => x.d.device_id)}::text[],
      ${inbox.map((x) => x.expires)}::bigint[],
      ${chain}, ${items.map((i) => (chain ? (i.guard?.viewVersion ?? null) : null))}::bigint[])`.execute(ctx.db);
    const byItem = new Map(appended.rows.map((r) => [Number(r.item), r]));
    const results: (MessagesTable | ChainedInsert | typeof STALE_VIEW | null)[] = [];
    for (const [n, { record }] of items.entries()) {
      const row = byItem.get(n);
      if (row?.stored_id === null) {
        results.push(STALE_VIEW);
        continue;
      }
      if (row) {
        results.push(chain ? { id: row.stored_id, prev: row.prev_id === null ? null : { id: row.prev_id, createdAt: Number(row.prev_created_at) } } : null);
        continue;
      }
      // Not inserted: a retry of a stored client id (or, improbably, an id clash). The row it
      // clashed with has committed: an insert that conflicts with an uncommitted row waits for
      // that transaction to end.
      const existing = record.client_id === null ? undefined : await ctx.db.selectFrom('messages').selectAll().where('cid', '=', record.cid).where('from_id', '=', record.from).where('client_id', '=', record.client_id).executeTakeFirst();
      if (!existing) throw new Error(`message ${record._id} was neither inserted nor found`);
      results.push(existing);
    }
    return results;
  };
}

/** How many times one message is checked again for a conversation that keeps changing. */
const MAX_RECHECKS = 5;

/** An item whose recheck threw: the committer rejects that item's insert with `error`. */
class RecheckFailure {
  constructor(readonly error: unknown) {}
}

/** insert's arguments as a batch item (hidden users deduplicated; an empty inbox dropped). */
function batchItem(i: GuardedInsert): MessageBatchItem {
  const { hiddenFor, inbox, guard } = i;
  return { record: i.record, hiddenFor: hiddenFor.length > 1 ? [...new Set(hiddenFor)] : hiddenFor, pushes: i.pushes, ...(inbox && inbox.devices.length > 0 ? { inbox } : {}), ...(guard ? { guard } : {}) };
}

/** What insert resolves to, from the writer's outcome for the item. */
function insertOf(item: MessageBatchItem, outcome: MessagesTable | ChainedInsert | null): MessageInsert {
  if (outcome === null) return { record: item.record, duplicate: false };
  if ('prev' in outcome) return { record: outcome.id === item.record._id ? item.record : { ...item.record, _id: outcome.id }, duplicate: false, prev: outcome.prev };
  return { record: messageFromRow(outcome), duplicate: true };
}

/**
 * MessageStore over Kysely (both dialects), with group-committed inserts. Batches go to
 * `ctx.messageWriter` when the dialect supplies one (SQLite: a writer thread), else to one call of a
 * PostgreSQL function.
 */
export class SqlMessageStore implements MessageStore {
  private readonly committer: GroupCommitter<MessageBatchItem, MessageInsert | RecheckFailure>;
  private readonly writer: MessageBatchWriter;

  constructor(private readonly ctx: SqlContext) {
    this.writer = ctx.messageWriter ?? postgresBatchWriter(ctx);
    // SQLite (one writer thread): up to 1 ms of gathering before an idle committer writes, and
    // under load one batch per 4 ms at most (see GroupCommitOptions; measured in
    // docs/benchmarks.md). PostgreSQL commits concurrent transactions by itself, and a batch
    // is one round trip: up to four batches at once, never two of one conversation (which keeps
    // each conversation's messages in submission order), and no waiting, since a message that
    // arrived while another conversation's batch was in flight used to wait that batch out.
    this.committer = new GroupCommitter(
      (items) => this.writeBatch(items),
      ctx.messageWriter ? { maxBatch: 512, gatherMs: 1, minIntervalMs: 4 } : { maxBatch: 512, maxInFlight: 4, keyOf: (i: MessageBatchItem) => i.record.cid },
    );
  }

  insert(record: MessageRecord, hiddenFor: readonly string[] = [], pushes: readonly PushOutboxRecord[] = [], inbox?: InboxEntry, guard?: InsertGuard): Promise<MessageInsert> {
    return this.committer.submit(batchItem({ record, hiddenFor, pushes, ...(inbox ? { inbox } : {}), ...(guard ? { guard } : {}) })).then((r) => {
      if (r instanceof RecheckFailure) throw r.error;
      return r;
    });
  }

  /** Waits for queued inserts (before the store closes). */
  idle(): Promise<void> {
    return this.committer.idle();
  }

  /**
   * Writes a batch; items refused for an outdated view are checked again (their guards'
   * recheck) and written in a further call, still inside this batch, so that the conversation's
   * later messages — held back by the committer until the batch ends — cannot overtake them. An
   * item whose recheck throws fails alone, with that error.
   */
  private async writeBatch(items: MessageBatchItem[]): Promise<(MessageInsert | RecheckFailure)[]> {
    const results: (MessageInsert | RecheckFailure | undefined)[] = new Array<undefined>(items.length);
    let round = items.map((item, n) => ({ item, n }));
    for (let attempt = 0; round.length > 0; attempt++) {
      const stored = await this.writer(round.map((r) => r.item));
      const again: { item: MessageBatchItem; n: number }[] = [];
      for (const [k, { item, n }] of round.entries()) {
        const outcome = stored[k];
        if (outcome !== STALE_VIEW) {
          results[n] = insertOf(item, outcome ?? null);
          continue;
        }
        this.ctx.sendViews?.forget(item.record.cid);
        // Each round finds a newer view; a conversation that changes faster than a message can
        // be checked would never let it through, so give up after a few.
        if (attempt >= MAX_RECHECKS) {
          results[n] = new RecheckFailure(new Error(`message ${item.record._id}: conversation ${item.record.cid} kept changing while the message was checked`));
          continue;
        }
        try {
          again.push({ item: item.guard ? batchItem(await item.guard.recheck()) : item, n });
        } catch (err) {
          results[n] = new RecheckFailure(err);
        }
      }
      round = again;
    }
    return results as (MessageInsert | RecheckFailure)[];
  }

  async range(orgId: string, cid: string, afterId: string | null, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    let q = this.ctx.db.selectFrom('messages').selectAll().where('cid', '=', cid).where('organization_id', '=', orgId);
    if (afterId !== null) q = q.where('id', '>', afterId);
    if (beforeId !== null) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(messageFromRow);
  }

  async byId(orgId: string, id: string): Promise<MessageRecord | undefined> {
    const r = await this.ctx.db.selectFrom('messages').selectAll().where('organization_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && messageFromRow(r);
  }

  async visibleTo(orgId: string, id: string, viewerId: string): Promise<MessageRecord | undefined> {
    const r = await this.ctx.db
      .selectFrom('messages as m')
      .selectAll('m')
      .where('m.organization_id', '=', orgId)
      .where('m.id', '=', id)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('message_hidden as h').select('h.mid').whereRef('h.mid', '=', 'm.id').where('h.user_id', '=', viewerId))))
      .executeTakeFirst();
    return r && messageFromRow(r);
  }

  async list(orgId: string, cid: string, viewerId: string, q: MessageListQuery): Promise<MessageRecord[]> {
    let query = this.ctx.db
      .selectFrom('messages as m')
      .selectAll('m')
      .where('m.cid', '=', cid)
      .where('m.organization_id', '=', orgId)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('message_hidden as h').select('h.mid').whereRef('h.mid', '=', 'm.id').where('h.user_id', '=', viewerId))));
    if (q.ids !== undefined) {
      if (q.ids.length === 0) return [];
      query = query.where('m.id', 'in', [...q.ids]);
    }
    // A retention cut-off: ids embed their creation second and are never below it (a chained
    // id only moves up), so the id bound narrows the index range; created_at decides.
    if (q.createdFrom !== undefined) query = query.where('m.id', '>=', idFloorAt(Math.max(0, Math.floor(q.createdFrom / 1000)))).where('m.created_at', '>=', q.createdFrom);
    if (q.updatedAfter !== undefined) return this.updatedAfter(query, q.updatedAfter, q.limit);
    if (q.updatedBefore !== undefined) {
      // updated_at >= created_at, and an id embeds its creation second, so every match has an
      // id below the floor of (updatedBefore + a minute of clock slack). That bound lets the
      // engine walk the (cid, id) index newest-first from the right place instead of sorting
      // all older rows; the `+ 0` keeps SQLite from picking the updated_at index instead.
      query = query.where('m.id', '<', idFloorAt(q.updatedBefore / 1000 + 60)).where(sql<number>`m.updated_at + 0`, '<', q.updatedBefore);
    }
    const rows = await query.orderBy('m.id', 'desc').limit(q.limit).execute();
    return rows.map(messageFromRow);
  }

  /**
   * The oldest `limit` messages updated after `after`, oldest created first. A match was either
   * created after `after` — its id is at or above the floor of (after − a minute of clock slack),
   * a range of the (cid, id) index — or edited since (updated_at > created_at), which the
   * partial index of edited messages holds. Each part is limited, then the two are merged.
   */
  private async updatedAfter(base: MessageListBase, after: number, limit: number): Promise<MessageRecord[]> {
    const floor = idFloorAt(after / 1000 - 60);
    const [recent, edited] = await Promise.all([
      base.where('m.id', '>=', floor).where(sql<number>`m.updated_at + 0`, '>', after).orderBy('m.created_at', 'asc').orderBy('m.id', 'asc').limit(limit).execute(),
      base.where('m.id', '<', floor).where(sql<boolean>`m.updated_at > m.created_at`).where('m.updated_at', '>', after).orderBy('m.created_at', 'asc').orderBy('m.id', 'asc').limit(limit).execute(),
    ]);
    return [...edited, ...recent]
      .sort((x, y) => x.created_at - y.created_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
      .slice(0, limit)
      .map(messageFromRow);
  }

  async lastVisible(orgId: string, cids: readonly string[], viewerId: string): Promise<Map<string, MessageRecord>> {
    const out = new Map<string, MessageRecord>();
    for (const cid of new Set(cids)) {
      const [m] = await this.list(orgId, cid, viewerId, { limit: 1 });
      if (m) out.set(cid, m);
    }
    return out;
  }

  async countUnread(orgId: string, cid: string, userId: string, afterId: string | null): Promise<number> {
    let query = this.ctx.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('cid', '=', cid).where('organization_id', '=', orgId).where('from_id', '!=', userId);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const r = await query.executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async editBody(orgId: string, id: string, body: string, now: number): Promise<MessageRecord | undefined> {
    const r = await this.ctx.db.updateTable('messages').set({ body, updated_at: now }).where('organization_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirst();
    return r && messageFromRow(r);
  }

  async deleteForAll(orgId: string, cid: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.ctx.db.transaction().execute(async (trx) => {
      const rows = await trx.deleteFrom('messages').where('organization_id', '=', orgId).where('cid', '=', cid).where('id', 'in', [...ids]).returning('id').execute();
      const removed = rows.map((r) => r.id);
      if (removed.length > 0) {
        await trx.deleteFrom('message_hidden').where('mid', 'in', removed).execute();
        await trx.deleteFrom('message_statuses').where('mid', 'in', removed).execute();
        await trx.deleteFrom('message_reactions').where('mid', 'in', removed).execute();
        await trx.deleteFrom('encrypted_inbox').where('mid', 'in', removed).execute();
      }
      return removed;
    });
  }

  async hideFor(orgId: string, cid: string, ids: readonly string[], userId: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const existing = await this.ctx.db.selectFrom('messages').select('id').where('organization_id', '=', orgId).where('cid', '=', cid).where('id', 'in', [...ids]).execute();
    const found = existing.map((r) => r.id);
    if (found.length > 0) {
      await this.ctx.db.insertInto('message_hidden').values(found.map((mid) => ({ mid, user_id: userId, cid }))).onConflict((oc) => oc.doNothing()).execute();
      // The user's devices no longer list them (encrypted conversations).
      await this.ctx.db.deleteFrom('encrypted_inbox').where('mid', 'in', found).where('user_id', '=', userId).execute();
    }
    return found;
  }
}
