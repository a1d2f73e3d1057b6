import { CompiledQuery, sql, type SelectQueryBuilder, type Selectable, type Transaction } from 'kysely';
import type { InboxEntry, MessageInsert, MessageLink, MessageListQuery, MessageRecord, MessageStore, PushOutboxRecord } from '../store.js';
import { idAfter, idFloorAt } from '../../protocol/ids.js';
import type { SqlContext } from './dialect.js';
import { parseJson } from './dialect.js';
import { GroupCommitter } from './group-commit.js';
import { newOutboxRow } from './push-outbox.js';
import type { ChainedInsert, MessageBatchItem, MessageBatchWriter } from './message-batch.js';
import type { Database, EncryptedInboxTable, MessagesTable } from './schema.js';

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

/**
 * Orders a batch after what is already stored (PostgreSQL, several nodes): locks the batch's
 * conversation rows — in id order, so batches of different nodes cannot deadlock — which makes
 * commits of one conversation happen one at a time, then gives each item an id above its
 * conversation's newest stored message and above the batch's earlier items. Returns the ids to
 * insert under and each conversation's newest stored message before the batch.
 */
async function chainBatch(trx: Transaction<Database>, items: readonly MessageBatchItem[]): Promise<{ ids: string[]; before: Map<string, MessageLink | null> }> {
  const cids = [...new Set(items.map((i) => i.record.cid))].sort();
  // Lock, then read the newest messages, in one round trip (migration 13 says why a function).
  const newest = await sql<{ head_cid: string; head_id: string | null; head_created_at: number | null }>`select * from parley_chain_heads(cast(${cids} as text[]))`.execute(trx);
  const before = new Map<string, MessageLink | null>(newest.rows.map((r) => [r.head_cid, r.head_id === null ? null : { id: r.head_id, createdAt: Number(r.head_created_at) }]));
  const last = new Map<string, string | undefined>([...before].map(([cid, link]) => [cid, link?.id]));
  const ids = items.map(({ record }) => {
    const prev = last.get(record.cid);
    const id = prev !== undefined && record._id <= prev ? idAfter(prev) : record._id;
    last.set(record.cid, id);
    return id;
  });
  return { ids, before };
}

/** Inbox rows per insert statement (5 parameters each). */
const INBOX_SLICE = 2000;

/** A message's encrypted-inbox rows: one per device it is queued for. */
function inboxRows(record: MessageRecord, entry: InboxEntry): EncryptedInboxTable[] {
  return entry.devices.map((d) => ({ user_id: d.user_id, device_id: d.device_id, cid: record.cid, mid: record._id, expires_at: entry.expiresAt }));
}

/** The batch writer over Kysely (both dialects): one transaction, multi-row inserts. */
function kyselyBatchWriter(ctx: SqlContext): MessageBatchWriter {
  return (items) =>
    ctx.db.transaction().execute(async (trx) => {
      const chain = ctx.orderAcrossNodes === true ? await chainBatch(trx, items) : undefined;
      if (chain) items = items.map((i, n) => (i.record._id === chain.ids[n] ? i : { ...i, record: { ...i.record, _id: chain.ids[n] ?? i.record._id } }));
      // The insert and the conversations' updated_at move are one statement (one round trip):
      // each conversation's updated_at becomes its newest inserted message's created_at, never
      // moved backwards; retried duplicates (not inserted) move nothing. PostgreSQL syntax (a
      // data-modifying WITH): SQLite batches go to its writer thread instead.
      const insert = trx
        .insertInto('messages')
        .values(items.map((i) => toRow(i.record)))
        .onConflict((oc) => oc.doNothing())
        .returning(['id', 'cid', 'organization_id', 'created_at'])
        .compile();
      const inserted = await trx.executeQuery<{ id: string }>(
        CompiledQuery.raw(
          `with ins as (${insert.sql}), touched as (update conversations c set updated_at = n.at from (select cid, organization_id, max(created_at) as at from ins group by cid, organization_id) n where c.id = n.cid and c.organization_id = n.organization_id and c.updated_at < n.at) select id from ins`,
          [...insert.parameters],
        ),
      );
      const fresh = new Set(inserted.rows.map((r) => r.id));
      const kept = items.filter((i) => fresh.has(i.record._id));
      const hidden = kept.flatMap(({ record, hiddenFor }) => hiddenFor.map((user_id) => ({ mid: record._id, user_id, cid: record.cid })));
      if (hidden.length > 0) await trx.insertInto('message_hidden').values(hidden).onConflict((oc) => oc.doNothing()).execute();
      const pushes = kept.flatMap((i) => i.pushes.map(newOutboxRow));
      if (pushes.length > 0) await trx.insertInto('push_outbox').values(pushes).execute();
      const inbox = kept.flatMap(({ record, inbox: entry }) => (entry ? inboxRows(record, entry) : []));
      // A group of 50 with 20 devices each queues 1,000 rows per message: insert in slices, so a
      // batch of such messages stays under PostgreSQL's 65,535 parameters per statement.
      for (let at = 0; at < inbox.length; at += INBOX_SLICE) await trx.insertInto('encrypted_inbox').values(inbox.slice(at, at + INBOX_SLICE)).onConflict((oc) => oc.doNothing()).execute();
      const results: (MessagesTable | ChainedInsert | null)[] = [];
      // Each new message's predecessor: the previous new one of its conversation in this batch,
      // or the newest stored before it (duplicates were not inserted, so they are skipped).
      const prevs = new Map(chain?.before);
      for (const { record } of items) {
        if (fresh.has(record._id)) {
          if (chain) {
            results.push({ id: record._id, prev: prevs.get(record.cid) ?? null });
            prevs.set(record.cid, { id: record._id, createdAt: record.created_at });
          } else results.push(null);
          continue;
        }
        // Not inserted: a retry of a stored client id (or, improbably, an id clash).
        const existing = record.client_id === null ? undefined : await trx.selectFrom('messages').selectAll().where('cid', '=', record.cid).where('from_id', '=', record.from).where('client_id', '=', record.client_id).executeTakeFirst();
        if (!existing) throw new Error(`message ${record._id} was neither inserted nor found`);
        results.push(existing);
      }
      return results;
    });
}

/**
 * MessageStore over Kysely (both dialects), with group-committed inserts. Batches go to
 * `ctx.messageWriter` when the dialect supplies one (SQLite: a writer thread), else to a Kysely
 * transaction.
 */
export class SqlMessageStore implements MessageStore {
  private readonly committer: GroupCommitter<MessageBatchItem, MessageInsert>;
  private readonly writer: MessageBatchWriter;

  constructor(private readonly ctx: SqlContext) {
    this.writer = ctx.messageWriter ?? kyselyBatchWriter(ctx);
    // Up to 1 ms of gathering before an idle committer writes, and under load one batch per
    // 4 ms at most (see GroupCommitOptions; measured in docs/benchmarks.md).
    this.committer = new GroupCommitter((items) => this.writeBatch(items), { maxBatch: 512, gatherMs: 1, minIntervalMs: 4 });
  }

  insert(record: MessageRecord, hiddenFor: readonly string[] = [], pushes: readonly PushOutboxRecord[] = [], inbox?: InboxEntry): Promise<MessageInsert> {
    return this.committer.submit({ record, hiddenFor: hiddenFor.length > 1 ? [...new Set(hiddenFor)] : hiddenFor, pushes, ...(inbox && inbox.devices.length > 0 ? { inbox } : {}) });
  }

  /** Waits for queued inserts (before the store closes). */
  idle(): Promise<void> {
    return this.committer.idle();
  }

  private async writeBatch(items: MessageBatchItem[]): Promise<MessageInsert[]> {
    const stored = await this.writer(items);
    return items.map((i, n) => {
      const outcome = stored[n];
      if (!outcome) return { record: i.record, duplicate: false };
      if ('prev' in outcome) return { record: outcome.id === i.record._id ? i.record : { ...i.record, _id: outcome.id }, duplicate: false, prev: outcome.prev };
      return { record: messageFromRow(outcome), duplicate: true };
    });
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
