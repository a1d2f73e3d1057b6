import { sql, type Transaction } from 'kysely';
import type { ParticipantRecord, ParticipantRole, ParticipantStore } from '../store.js';
import { LimitError } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { ConversationParticipantsTable, Database } from './schema.js';

/** Row → record. */
export const participantFromRow = (r: ConversationParticipantsTable): ParticipantRecord => ({ ...r, role: r.role as ParticipantRole });

/** Recomputes the conversation's participants_count inside the caller's transaction. */
async function recount(trx: Transaction<Database>, cid: string): Promise<void> {
  await trx
    .updateTable('conversations')
    .set({ participants_count: sql<number>`(select count(*) from conversation_participants where conversation_id = ${cid})` })
    .where('id', '=', cid)
    .execute();
}

/** ParticipantStore over Kysely (both dialects). */
export class SqlParticipantStore implements ParticipantStore {
  constructor(private readonly ctx: SqlContext) {}

  async add(orgId: string, cid: string, users: readonly { user_id: string; role: ParticipantRole }[], now: number, max?: number): Promise<string[]> {
    const wanted = [...new Map(users.map((u) => [u.user_id, u])).values()];
    if (wanted.length === 0) return [];
    return this.ctx.db.transaction().execute(async (trx) => {
      // Lock the conversation row (PostgreSQL) so concurrent adds cannot both pass the cap.
      const conv = await trx.selectFrom('conversations').select(['id', 'participants_count']).where('organization_id', '=', orgId).where('id', '=', cid).$call((q) => (this.ctx.dialect.name === 'postgres' ? q.forUpdate() : q)).executeTakeFirst();
      if (!conv) return [];
      const present = await trx.selectFrom('conversation_participants').select('user_id').where('conversation_id', '=', cid).where('user_id', 'in', wanted.map((u) => u.user_id)).execute();
      const have = new Set(present.map((p) => p.user_id));
      const fresh = wanted.filter((u) => !have.has(u.user_id));
      if (fresh.length === 0) return [];
      if (max !== undefined && conv.participants_count + fresh.length > max) throw new LimitError(max);
      await trx
        .insertInto('conversation_participants')
        .values(fresh.map((u) => ({ conversation_id: cid, user_id: u.user_id, organization_id: orgId, role: u.role, last_read_message_id: null, created_at: now, updated_at: now })))
        .execute();
      await recount(trx, cid);
      return fresh.map((u) => u.user_id);
    });
  }

  async remove(orgId: string, cid: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    return this.ctx.db.transaction().execute(async (trx) => {
      const rows = await trx
        .deleteFrom('conversation_participants')
        .where('organization_id', '=', orgId)
        .where('conversation_id', '=', cid)
        .where('user_id', 'in', [...userIds])
        .returning('user_id')
        .execute();
      if (rows.length > 0) await recount(trx, cid);
      return rows.map((r) => r.user_id);
    });
  }

  async get(cid: string, userId: string): Promise<ParticipantRecord | undefined> {
    const r = await this.ctx.db.selectFrom('conversation_participants').selectAll().where('conversation_id', '=', cid).where('user_id', '=', userId).executeTakeFirst();
    return r && participantFromRow(r);
  }

  async list(cid: string): Promise<ParticipantRecord[]> {
    const rows = await this.ctx.db.selectFrom('conversation_participants').selectAll().where('conversation_id', '=', cid).orderBy('created_at').orderBy('user_id').execute();
    return rows.map(participantFromRow);
  }

  async forConversations(orgId: string, cids: readonly string[]): Promise<ParticipantRecord[]> {
    if (cids.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('conversation_participants')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where('conversation_id', 'in', [...new Set(cids)])
      .orderBy('conversation_id')
      .orderBy('created_at')
      .orderBy('user_id')
      .execute();
    return rows.map(participantFromRow);
  }

  async setRole(cid: string, userIds: readonly string[], role: ParticipantRole, now: number): Promise<void> {
    if (userIds.length === 0) return;
    await this.ctx.db.updateTable('conversation_participants').set({ role, updated_at: now }).where('conversation_id', '=', cid).where('user_id', 'in', [...userIds]).execute();
  }

  async markRead(cid: string, userId: string, messageId: string): Promise<void> {
    await this.ctx.db
      .updateTable('conversation_participants')
      .set({ last_read_message_id: messageId })
      .where('conversation_id', '=', cid)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_read_message_id', 'is', null), eb('last_read_message_id', '<', messageId)]))
      .execute();
  }
}
