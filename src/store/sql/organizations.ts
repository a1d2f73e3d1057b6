import type { OrganizationRecord, OrganizationStore } from '../store.js';
import { ConflictError } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { OrganizationsTable } from './schema.js';

const toRecord = (r: OrganizationsTable): OrganizationRecord => ({ _id: r.id, name: r.name, created_at: r.created_at, updated_at: r.updated_at });

/** OrganizationStore over Kysely (both dialects). */
export class SqlOrganizationStore implements OrganizationStore {
  constructor(private readonly ctx: SqlContext) {}

  async insert(org: { _id: string; name: string; now: number }): Promise<OrganizationRecord> {
    const row: OrganizationsTable = { id: org._id, name: org.name, created_at: org.now, updated_at: org.now };
    try {
      await this.ctx.db.insertInto('organizations').values(row).execute();
    } catch (err) {
      if (this.ctx.dialect.uniqueViolation(err) !== undefined) throw new ConflictError('organization_name');
      throw err;
    }
    return toRecord(row);
  }

  async byId(id: string): Promise<OrganizationRecord | undefined> {
    const r = await this.ctx.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  async byName(name: string): Promise<OrganizationRecord | undefined> {
    const r = await this.ctx.db.selectFrom('organizations').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toRecord(r);
  }

  async rename(id: string, name: string, now: number): Promise<OrganizationRecord | undefined> {
    try {
      const r = await this.ctx.db.updateTable('organizations').set({ name, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
      return r && toRecord(r);
    } catch (err) {
      if (this.ctx.dialect.uniqueViolation(err) !== undefined) throw new ConflictError('organization_name');
      throw err;
    }
  }
}
