import { sql, type RawBuilder, type Transaction } from 'kysely';
import { idFloorAt } from '../../protocol/ids.js';
import { ORGANIZATION_SCOPE, type ExpiredMessage, type RetentionPeriods, type RetentionStore } from '../store.js';
import { parseJson, type SqlContext } from './dialect.js';
import type { Database } from './schema.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/**
 * Ids are made from the creation time, and in a cluster a message may get an id just above its
 * predecessor's (MessageInsert.prev): a minute of slack above the cut-off's id floor bounds the
 * index range without missing such a message; created_at decides.
 */
const ID_SLACK_SECONDS = 60;

/** The object ids a message's attachments name (`file_id`), without repeats. */
export function attachmentFileIds(attachments: string | null): string[] {
  const list = parseJson<unknown>(attachments);
  if (!Array.isArray(list)) return [];
  const ids = new Set<string>();
  for (const a of list) {
    const id = typeof a === 'object' && a !== null ? (a as { file_id?: unknown }).file_id : undefined;
    if (typeof id === 'string' && OBJECT_ID.test(id)) ids.add(id);
  }
  return [...ids];
}

/** Removes a conversation's period inside the transaction that deletes the conversation. */
export async function deleteConversationRetention(trx: Transaction<Database>, cid: string): Promise<void> {
  await trx.deleteFrom('retention_policies').where('scope', '=', cid).execute();
}

interface DeletedRow {
  id: string;
  organization_id: string;
  cid: string;
  from_id: string;
  attachments: string | null;
}

/** RetentionStore over Kysely (both dialects). */
export class SqlRetentionStore implements RetentionStore {
  constructor(private readonly ctx: SqlContext) {}

  async set(orgId: string, scope: string, seconds: number | null, now: number): Promise<void> {
    if (seconds === null) {
      await this.ctx.db.deleteFrom('retention_policies').where('organization_id', '=', orgId).where('scope', '=', scope).execute();
      return;
    }
    await this.ctx.db
      .insertInto('retention_policies')
      .values({ organization_id: orgId, scope, seconds, updated_at: now })
      .onConflict((oc) => oc.columns(['organization_id', 'scope']).doUpdateSet({ seconds, updated_at: now }))
      .execute();
  }

  async periods(orgId: string, cids: readonly string[]): Promise<RetentionPeriods> {
    const rows = await this.ctx.db.selectFrom('retention_policies').select(['scope', 'seconds']).where('organization_id', '=', orgId).where('scope', 'in', [ORGANIZATION_SCOPE, ...new Set(cids)]).execute();
    let organization: number | null = null;
    const conversations = new Map<string, number>();
    for (const r of rows) {
      if (r.scope === ORGANIZATION_SCOPE) organization = Number(r.seconds);
      else conversations.set(r.scope, Number(r.seconds));
    }
    return { organization, conversations };
  }

  async sweepMessages(now: number, limit: number): Promise<ExpiredMessage[]> {
    const policies = await this.ctx.db.selectFrom('retention_policies').select(['organization_id', 'scope', 'seconds']).orderBy('organization_id').orderBy('scope').execute();
    const out: ExpiredMessage[] = [];
    // Conversation periods first (each one index range), then each organization's default over
    // its conversations without a period of their own.
    const ordered = [...policies.filter((p) => p.scope !== ORGANIZATION_SCOPE), ...policies.filter((p) => p.scope === ORGANIZATION_SCOPE)];
    for (const p of ordered) {
      const room = limit - out.length;
      if (room <= 0) break;
      const cutoff = now - Number(p.seconds) * 1000;
      const floor = idFloorAt(Math.max(0, Math.floor(cutoff / 1000) + ID_SLACK_SECONDS));
      const inScope =
        p.scope === ORGANIZATION_SCOPE
          ? sql`m.cid in (select c.id from conversations c where c.organization_id = ${p.organization_id} and c.id not in (select r.scope from retention_policies r where r.organization_id = ${p.organization_id} and r.scope <> ${ORGANIZATION_SCOPE}))`
          : sql`m.cid = ${p.scope}`;
      const rows = await this.deleteDue(sql`select m.id from messages m where m.organization_id = ${p.organization_id} and ${inScope} and m.id < ${floor} and m.created_at < ${cutoff} order by m.id limit ${room}`);
      out.push(...rows.map((r) => ({ id: r.id, organization_id: r.organization_id, cid: r.cid, from: r.from_id, fileIds: attachmentFileIds(r.attachments) })));
    }
    return out;
  }

  /** Deletes the messages `pick` selects with their dependent rows, in one transaction. */
  private deleteDue(pick: RawBuilder<unknown>): Promise<DeletedRow[]> {
    // PostgreSQL: rows another node's sweep holds are skipped, not waited for, so two sweeps
    // never delete (and announce) the same message. SQLite has one writer at a time anyway.
    const lock = this.ctx.dialect.name === 'postgres' ? sql` for update of m skip locked` : sql``;
    return this.ctx.db.transaction().execute(async (trx) => {
      const r = await sql<DeletedRow>`delete from messages where id in (${pick}${lock}) returning id, organization_id, cid, from_id, attachments`.execute(trx);
      const ids = r.rows.map((row) => row.id);
      if (ids.length === 0) return [];
      await trx.deleteFrom('encrypted_inbox').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_hidden').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_statuses').where('mid', 'in', ids).execute();
      await trx.deleteFrom('message_reactions').where('mid', 'in', ids).execute();
      return r.rows;
    });
  }

  async releaseFiles(orgId: string, cid: string, objectIds: readonly string[]): Promise<string[]> {
    const ids = [...new Set(objectIds.filter((id) => OBJECT_ID.test(id)))];
    if (ids.length === 0) return [];
    return this.ctx.db.transaction().execute(async (trx) => {
      const conv = await trx.selectFrom('conversations').select('image_object').where('organization_id', '=', orgId).where('id', '=', cid).executeTakeFirst();
      const image = parseJson<{ file_id?: unknown }>(conv?.image_object ?? null)?.file_id;
      const released: string[] = [];
      for (const id of ids) {
        if (id === image) continue;
        // Object ids are 24 hex digits: no LIKE wildcard can be among them.
        const named = await trx.selectFrom('messages').select('id').where('cid', '=', cid).where('attachments', 'like', `%${id}%`).limit(1).executeTakeFirst();
        if (!named) released.push(id);
      }
      if (released.length === 0) return [];
      await trx.deleteFrom('file_links').where('organization_id', '=', orgId).where('scope', '=', cid).where('object_id', 'in', released).execute();
      const orphans = await trx
        .selectFrom('files as f')
        .select('f.object_id')
        .where('f.organization_id', '=', orgId)
        .where('f.object_id', 'in', released)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('file_links as l').select('l.object_id').whereRef('l.object_id', '=', 'f.object_id'))))
        .execute();
      return orphans.map((o) => o.object_id);
    });
  }
}
