import { sql } from 'kysely';
import type { ConversationListQuery, ConversationPatch, ConversationRecord, ConversationStore, ConversationType, ImageRef, ParticipantRole, SendView } from '../store.js';
import { ConflictError } from '../store.js';
import { composeSendView, type SendViewParts } from '../send-view.js';
import { handlerFromRow } from './conversation-handlers.js';
import { likeLiteral, parseJson, type SqlContext } from './dialect.js';
import { participantFromRow } from './participants.js';
import type { ConversationHandlersTable, ConversationParticipantsTable, ConversationsTable } from './schema.js';

/** Key that makes a private conversation unique per unordered pair and encryption flag. */
export function pairKey(a: string, b: string, encrypted: boolean): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `${x}:${y}:${encrypted ? 1 : 0}`;
}

/** Row → record. */
export function conversationFromRow(r: ConversationsTable): ConversationRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    type: r.type as ConversationType,
    name: r.name,
    description: r.description,
    owner_id: r.owner_id,
    opponent_id: r.opponent_id,
    image_object: parseJson<ImageRef>(r.image_object),
    is_encrypted: r.is_encrypted === 1,
    participants_count: r.participants_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** ConversationStore over Kysely (both dialects). */
export class SqlConversationStore implements ConversationStore {
  constructor(
    private readonly ctx: SqlContext,
    /** The store's other ports, for sendView on engines where separate reads cost nothing. */
    private readonly parts: () => SendViewParts,
  ) {}

  async sendView(orgId: string, cid: string, senderId: string, mayBeStale = false): Promise<SendView | undefined> {
    // SQLite reads in-process: four small queries cost less than one that builds JSON.
    if (this.ctx.dialect.name !== 'postgres') return composeSendView(this.parts(), orgId, cid, senderId);
    const cache = this.ctx.sendViews;
    const cached = mayBeStale ? cache?.get(orgId, cid, senderId) : undefined;
    if (cached) return cached;
    // One statement: the conversation row, its membership rows (as ParticipantStore.list orders
    // them) and handler as JSON, and for a private conversation whether its sides block each
    // other either way (as BlockStore.blockedEitherWay).
    const { rows } = await sql<ConversationsTable & { view_version: string | number; roster: ConversationParticipantsTable[]; handler: ConversationHandlersTable | null; blocked: boolean }>`
      select c.*,
        coalesce((select json_agg(p order by p.created_at, p.user_id) from conversation_participants p where p.conversation_id = c.id), '[]'::json) as roster,
        (select row_to_json(h) from conversation_handlers h where h.conversation_id = c.id and h.organization_id = c.organization_id) as handler,
        (c.type = 'u' and c.opponent_id is not null and exists (
          select 1 from blocked_users b
          where b.organization_id = c.organization_id and b.enabled = 1
            and ((b.user_id = ${senderId} and b.blocked_user_id = w.other) or (b.user_id = w.other and b.blocked_user_id = ${senderId}))
        )) as blocked
      from conversations c
      cross join lateral (select case when c.owner_id = ${senderId} then c.opponent_id else c.owner_id end as other) w
      where c.id = ${cid} and c.organization_id = ${orgId}`.execute(this.ctx.db);
    const row = rows[0];
    if (!row) return undefined;
    const { roster, handler, blocked, view_version, ...conv } = row;
    const view: SendView = { conversation: conversationFromRow(conv), participants: roster.map(participantFromRow), handler: handler === null ? undefined : handlerFromRow(handler), blocked, version: Number(view_version) };
    cache?.set(cid, view, senderId);
    return view;
  }

  async create(conv: Omit<ConversationRecord, 'participants_count' | 'updated_at'>, participants: readonly { user_id: string; role: ParticipantRole }[]): Promise<ConversationRecord> {
    const unique = [...new Map(participants.map((p) => [p.user_id, p])).values()];
    const row: ConversationsTable = {
      id: conv._id,
      organization_id: conv.organization_id,
      type: conv.type,
      name: conv.name,
      description: conv.description,
      owner_id: conv.owner_id,
      opponent_id: conv.opponent_id,
      pair_key: conv.type === 'u' && conv.opponent_id !== null ? pairKey(conv.owner_id, conv.opponent_id, conv.is_encrypted) : null,
      image_object: conv.image_object === null ? null : JSON.stringify(conv.image_object),
      is_encrypted: conv.is_encrypted ? 1 : 0,
      participants_count: unique.length,
      created_at: conv.created_at,
      updated_at: conv.created_at,
    };
    try {
      await this.ctx.db.transaction().execute(async (trx) => {
        await trx.insertInto('conversations').values(row).execute();
        if (unique.length > 0) {
          await trx
            .insertInto('conversation_participants')
            .values(unique.map((p) => ({ conversation_id: row.id, user_id: p.user_id, organization_id: row.organization_id, role: p.role, last_read_message_id: null, created_at: row.created_at, updated_at: row.created_at })))
            .execute();
        }
      });
    } catch (err) {
      if (this.ctx.dialect.uniqueViolation(err) !== undefined) throw new ConflictError('private_pair');
      throw err;
    }
    return conversationFromRow(row);
  }

  async byId(orgId: string, id: string): Promise<ConversationRecord | undefined> {
    const r = await this.ctx.db.selectFrom('conversations').selectAll().where('organization_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && conversationFromRow(r);
  }

  async privateBetween(orgId: string, a: string, b: string, encrypted: boolean): Promise<ConversationRecord | undefined> {
    const r = await this.ctx.db.selectFrom('conversations').selectAll().where('organization_id', '=', orgId).where('pair_key', '=', pairKey(a, b, encrypted)).executeTakeFirst();
    return r && conversationFromRow(r);
  }

  async update(orgId: string, id: string, patch: ConversationPatch, now: number): Promise<ConversationRecord | undefined> {
    const set: Partial<ConversationsTable> = { updated_at: now };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.image_object !== undefined) set.image_object = patch.image_object === null ? null : JSON.stringify(patch.image_object);
    if (patch.owner_id !== undefined) set.owner_id = patch.owner_id;
    const r = await this.ctx.db.updateTable('conversations').set(set).where('organization_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirst();
    return r && conversationFromRow(r);
  }

  async touch(orgId: string, id: string, updatedAt: number): Promise<void> {
    await this.ctx.db.updateTable('conversations').set({ updated_at: updatedAt }).where('organization_id', '=', orgId).where('id', '=', id).where('updated_at', '<', updatedAt).execute();
  }

  async delete(orgId: string, id: string): Promise<void> {
    await this.ctx.db.transaction().execute(async (trx) => {
      const owned = await trx.selectFrom('conversations').select('id').where('organization_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!owned) return;
      for (const cleanup of this.ctx.conversationCleanup ?? []) await cleanup(trx, id);
      await trx.deleteFrom('conversation_participants').where('conversation_id', '=', id).execute();
      await trx.deleteFrom('conversations').where('id', '=', id).execute();
    });
  }

  async listForUser(orgId: string, userId: string, q: ConversationListQuery): Promise<ConversationRecord[]> {
    let query = this.ctx.db
      .selectFrom('conversations as c')
      .innerJoin('conversation_participants as p', 'p.conversation_id', 'c.id')
      .selectAll('c')
      .where('p.organization_id', '=', orgId)
      .where('p.user_id', '=', userId);
    if (q.updatedAfter !== undefined) query = query.where('c.updated_at', '>', q.updatedAfter);
    if (q.updatedBefore !== undefined) query = query.where('c.updated_at', '<', q.updatedBefore);
    if (q.ids !== undefined) {
      if (q.ids.length === 0) return [];
      query = query.where('c.id', 'in', [...q.ids]);
    }
    const rows = await query.orderBy('c.id', 'desc').limit(q.limit).execute();
    return rows.map(conversationFromRow);
  }

  async searchByName(orgId: string, q: { name: string; limit: number; updatedAfter?: number; visibleTo?: string }): Promise<string[]> {
    const pattern = `%${likeLiteral(q.name.toLowerCase())}%`;
    let query = this.ctx.db
      .selectFrom('conversations')
      .select('id')
      .where('organization_id', '=', orgId)
      .where('name', 'is not', null)
      .where(sql`lower(name)`, 'like', sql`${pattern} escape '\\'`);
    if (q.updatedAfter !== undefined) query = query.where('updated_at', '>', q.updatedAfter);
    const viewer = q.visibleTo;
    if (viewer !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('type', '=', 'c'),
          eb.exists(eb.selectFrom('conversation_participants as p').select('p.user_id').whereRef('p.conversation_id', '=', 'conversations.id').where('p.user_id', '=', viewer)),
        ]),
      );
    }
    const rows = await query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map((r) => r.id);
  }
}
