import type { Selectable } from 'kysely';
import { ORGANIZATION_SCOPE, type FileRecord, type FileStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { FilesTable } from './schema.js';

function toRecord(r: Selectable<FilesTable>): FileRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    user_id: r.user_id,
    object_id: r.object_id,
    name: r.name,
    size: Number(r.size),
    content_type: r.content_type,
    uploaded_at: r.uploaded_at === null ? null : Number(r.uploaded_at),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

/** FileStore over Kysely (both dialects). */
export class SqlFileStore implements FileStore {
  constructor(private readonly ctx: SqlContext) {}

  async insert(rows: readonly FileRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ctx.db
      .insertInto('files')
      .values(rows.map((f) => ({
        object_id: f.object_id,
        id: f._id,
        organization_id: f.organization_id,
        user_id: f.user_id,
        name: f.name,
        size: f.size,
        content_type: f.content_type,
        uploaded_at: f.uploaded_at,
        created_at: f.created_at,
        updated_at: f.updated_at,
      })))
      .execute();
  }

  async byObjectIds(orgId: string, objectIds: readonly string[]): Promise<FileRecord[]> {
    if (objectIds.length === 0) return [];
    const rows = await this.ctx.db.selectFrom('files').selectAll().where('organization_id', '=', orgId).where('object_id', 'in', [...new Set(objectIds)]).execute();
    return rows.map(toRecord);
  }

  async byObjectId(objectId: string): Promise<FileRecord | undefined> {
    const row = await this.ctx.db.selectFrom('files').selectAll().where('object_id', '=', objectId).executeTakeFirst();
    return row && toRecord(row);
  }

  async markUploaded(objectId: string, now: number): Promise<boolean> {
    const res = await this.ctx.db.updateTable('files').set({ uploaded_at: now, updated_at: now }).where('object_id', '=', objectId).where('uploaded_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async link(orgId: string, objectIds: readonly string[], scope: string, now: number): Promise<void> {
    if (objectIds.length === 0) return;
    await this.ctx.db
      .insertInto('file_links')
      .values([...new Set(objectIds)].map((object_id) => ({ object_id, organization_id: orgId, scope, created_at: now })))
      .onConflict((oc) => oc.columns(['object_id', 'scope']).doNothing())
      .execute();
  }

  async visibleTo(orgId: string, userId: string, objectIds: readonly string[]): Promise<FileRecord[]> {
    if (objectIds.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('files as f')
      .selectAll('f')
      .where('f.organization_id', '=', orgId)
      .where('f.object_id', 'in', [...new Set(objectIds)])
      .where((eb) =>
        eb.or([
          eb('f.user_id', '=', userId),
          eb.exists(
            eb
              .selectFrom('file_links as l')
              .select('l.object_id')
              .whereRef('l.object_id', '=', 'f.object_id')
              .where((lb) =>
                lb.or([
                  lb('l.scope', '=', ORGANIZATION_SCOPE),
                  lb.exists(
                    lb
                      .selectFrom('conversation_participants as p')
                      .select('p.user_id')
                      .whereRef('p.conversation_id', '=', 'l.scope')
                      .where('p.user_id', '=', userId),
                  ),
                ]),
              ),
          ),
        ]),
      )
      .execute();
    return rows.map(toRecord);
  }

  async unlinked(createdBefore: number, limit: number): Promise<FileRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('files as f')
      .selectAll('f')
      .where('f.created_at', '<', createdBefore)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('file_links as l').select('l.object_id').whereRef('l.object_id', '=', 'f.object_id'))))
      .orderBy('f.created_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async delete(objectIds: readonly string[]): Promise<void> {
    if (objectIds.length === 0) return;
    const ids = [...new Set(objectIds)];
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('file_links').where('object_id', 'in', ids).execute();
      await trx.deleteFrom('files').where('object_id', 'in', ids).execute();
    });
  }
}
