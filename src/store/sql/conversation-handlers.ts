import { sql, type Transaction } from 'kysely';
import type { ConversationHandlerRecord, ConversationHandlerStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { ConversationHandlersTable, Database } from './schema.js';

/** Row → record. */
export const handlerFromRow = (r: ConversationHandlersTable): ConversationHandlerRecord => ({
  conversation_id: r.conversation_id,
  organization_id: r.organization_id,
  content: r.content,
  updated_by: r.updated_by,
  created_at: r.created_at,
  updated_at: r.updated_at,
  last_error: r.last_error,
  last_error_at: r.last_error_at,
});

/** Removes a conversation's handler (inside the deleting transaction). */
export async function deleteConversationHandler(trx: Transaction<Database>, cid: string): Promise<void> {
  await trx.deleteFrom('conversation_handlers').where('conversation_id', '=', cid).execute();
}

/** ConversationHandlerStore over Kysely (both dialects). */
export class SqlConversationHandlerStore implements ConversationHandlerStore {
  constructor(private readonly ctx: SqlContext) {}

  async put(h: { organization_id: string; conversation_id: string; content: string; updated_by: string }, now: number): Promise<ConversationHandlerRecord> {
    const row = await this.ctx.db
      .insertInto('conversation_handlers')
      .values({ conversation_id: h.conversation_id, organization_id: h.organization_id, content: h.content, updated_by: h.updated_by, created_at: now, updated_at: now, last_error: null, last_error_at: null })
      .onConflict((oc) =>
        oc.column('conversation_id').doUpdateSet({
          content: (eb) => eb.ref('excluded.content'),
          updated_by: (eb) => eb.ref('excluded.updated_by'),
          // updated_at names the script version (recordError): a replacement within the same
          // millisecond still gets a new one.
          updated_at: sql<number>`case when conversation_handlers.updated_at >= excluded.updated_at then conversation_handlers.updated_at + 1 else excluded.updated_at end`,
          last_error: null,
          last_error_at: null,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return handlerFromRow(row);
  }

  async byConversation(orgId: string, cid: string): Promise<ConversationHandlerRecord | undefined> {
    const row = await this.ctx.db.selectFrom('conversation_handlers').selectAll().where('organization_id', '=', orgId).where('conversation_id', '=', cid).executeTakeFirst();
    return row && handlerFromRow(row);
  }

  async delete(orgId: string, cid: string): Promise<boolean> {
    const r = await this.ctx.db.deleteFrom('conversation_handlers').where('organization_id', '=', orgId).where('conversation_id', '=', cid).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async recordError(orgId: string, cid: string, version: number, error: string, now: number): Promise<void> {
    await this.ctx.db.updateTable('conversation_handlers').set({ last_error: error, last_error_at: now }).where('organization_id', '=', orgId).where('conversation_id', '=', cid).where('updated_at', '=', version).execute();
  }
}
