import type { Transaction } from 'kysely';
import type { MessageStatus, MessageStatusStore, ReactionStore, ReactionSummary } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { Database } from './schema.js';

/** Removes statuses and reactions of a conversation (inside the deleting transaction). */
export async function deleteConversationMeta(trx: Transaction<Database>, cid: string): Promise<void> {
  await trx.deleteFrom('message_statuses').where('cid', '=', cid).execute();
  await trx.deleteFrom('message_reactions').where('cid', '=', cid).execute();
}

/** MessageStatusStore over Kysely (both dialects). */
export class SqlMessageStatusStore implements MessageStatusStore {
  constructor(private readonly ctx: SqlContext) {}

  async record(cid: string, mids: readonly string[], userId: string, status: MessageStatus, now: number): Promise<string[]> {
    if (mids.length === 0) return [];
    const rows = await this.ctx.db
      .insertInto('message_statuses')
      .values([...new Set(mids)].map((mid) => ({ mid, cid, user_id: userId, status, created_at: now })))
      .onConflict((oc) => oc.doNothing())
      .returning('mid')
      .execute();
    return rows.map((r) => r.mid);
  }

  async withAnyStatus(mids: readonly string[]): Promise<Set<string>> {
    if (mids.length === 0) return new Set();
    const rows = await this.ctx.db.selectFrom('message_statuses').select('mid').distinct().where('mid', 'in', [...new Set(mids)]).execute();
    return new Set(rows.map((r) => r.mid));
  }
}

/** ReactionStore over Kysely (both dialects). */
export class SqlReactionStore implements ReactionStore {
  constructor(private readonly ctx: SqlContext) {}

  async add(mid: string, cid: string, userId: string, reaction: string, now: number): Promise<boolean> {
    const rows = await this.ctx.db.insertInto('message_reactions').values({ mid, cid, user_id: userId, reaction, created_at: now }).onConflict((oc) => oc.doNothing()).returning('mid').execute();
    return rows.length > 0;
  }

  async remove(mid: string, userId: string, reaction: string): Promise<boolean> {
    const r = await this.ctx.db.deleteFrom('message_reactions').where('mid', '=', mid).where('user_id', '=', userId).where('reaction', '=', reaction).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async summaries(mids: readonly string[], viewerId: string): Promise<Map<string, ReactionSummary>> {
    const out = new Map<string, ReactionSummary>();
    if (mids.length === 0) return out;
    const rows = await this.ctx.db.selectFrom('message_reactions').select(['mid', 'user_id', 'reaction']).where('mid', 'in', [...new Set(mids)]).orderBy('reaction').execute();
    for (const r of rows) {
      let s = out.get(r.mid);
      if (!s) out.set(r.mid, (s = { own: [], total: {} }));
      s.total[r.reaction] = (s.total[r.reaction] ?? 0) + 1;
      if (r.user_id === viewerId) s.own.push(r.reaction);
    }
    return out;
  }

  async list(mid: string): Promise<Record<string, string[]>> {
    const rows = await this.ctx.db.selectFrom('message_reactions').select(['user_id', 'reaction']).where('mid', '=', mid).orderBy('reaction').orderBy('user_id').execute();
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.reaction] ??= []).push(r.user_id);
    return out;
  }
}
