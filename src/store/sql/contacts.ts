import type { ContactItem, ContactRecord, ContactStore } from '../store.js';
import { parseJson, type SqlContext } from './dialect.js';
import type { ContactsTable } from './schema.js';

const json = (v: ContactItem[] | null): string | null => (v === null ? null : JSON.stringify(v));

function fromRow(r: ContactsTable): ContactRecord {
  return { _id: r.id, organization_id: r.organization_id, user_id: r.user_id, first_name: r.first_name, last_name: r.last_name, company: r.company, email: parseJson<ContactItem[]>(r.email), phone: parseJson<ContactItem[]>(r.phone), created_at: r.created_at, updated_at: r.updated_at };
}

/** ContactStore over Kysely (both dialects). */
export class SqlContactStore implements ContactStore {
  constructor(private readonly ctx: SqlContext) {}

  async insert(rows: readonly ContactRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ctx.db
      .insertInto('contacts')
      .values(rows.map((c) => ({ id: c._id, organization_id: c.organization_id, user_id: c.user_id, first_name: c.first_name, last_name: c.last_name, company: c.company, email: json(c.email), phone: json(c.phone), created_at: c.created_at, updated_at: c.updated_at })))
      .execute();
  }

  async update(orgId: string, ownerId: string, id: string, patch: Partial<Pick<ContactRecord, 'first_name' | 'last_name' | 'company' | 'email' | 'phone'>>, now: number): Promise<ContactRecord | undefined> {
    const set: Partial<ContactsTable> = { updated_at: now };
    if (patch.first_name !== undefined) set.first_name = patch.first_name;
    if (patch.last_name !== undefined) set.last_name = patch.last_name;
    if (patch.company !== undefined) set.company = patch.company;
    if (patch.email !== undefined) set.email = json(patch.email);
    if (patch.phone !== undefined) set.phone = json(patch.phone);
    const r = await this.ctx.db.updateTable('contacts').set(set).where('organization_id', '=', orgId).where('user_id', '=', ownerId).where('id', '=', id).returningAll().executeTakeFirst();
    return r && fromRow(r);
  }

  async delete(orgId: string, ownerId: string, id: string): Promise<void> {
    await this.ctx.db.deleteFrom('contacts').where('organization_id', '=', orgId).where('user_id', '=', ownerId).where('id', '=', id).execute();
  }

  async list(orgId: string, ownerId: string, q: { updatedAfter?: number; limit: number }): Promise<ContactRecord[]> {
    let query = this.ctx.db.selectFrom('contacts').selectAll().where('organization_id', '=', orgId).where('user_id', '=', ownerId);
    if (q.updatedAfter !== undefined) query = query.where('updated_at', '>', q.updatedAfter);
    query = query.orderBy('id', 'desc');
    if (q.limit > 0) query = query.limit(q.limit);
    return (await query.execute()).map(fromRow);
  }
}
