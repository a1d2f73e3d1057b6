import { sql } from 'kysely';
import type { ImageRef, UserPatch, UserRecord, UserSearch, UserStore } from '../store.js';
import { ConflictError } from '../store.js';
import { likeLiteral, parseJson, type SqlContext } from './dialect.js';
import type { UsersTable } from './schema.js';

/** Row → record. */
export function userFromRow(r: UsersTable): UserRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    login: r.login,
    email: r.email,
    phone: r.phone,
    first_name: r.first_name,
    last_name: r.last_name,
    password_hash: r.password_hash,
    recent_activity: r.recent_activity,
    avatar_object: parseJson<ImageRef>(r.avatar_object),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** UserStore over Kysely (both dialects). */
export class SqlUserStore implements UserStore {
  constructor(private readonly ctx: SqlContext) {}

  private conflict(err: unknown): never {
    const text = this.ctx.dialect.uniqueViolation(err);
    if (text === undefined) throw err;
    if (text.includes('email')) throw new ConflictError('user_email');
    if (text.includes('phone')) throw new ConflictError('user_phone');
    throw new ConflictError('user_login');
  }

  async insert(u: Omit<UserRecord, 'updated_at'>): Promise<UserRecord> {
    const row: UsersTable = {
      id: u._id,
      organization_id: u.organization_id,
      login: u.login,
      login_lower: u.login.toLowerCase(),
      email: u.email,
      phone: u.phone,
      first_name: u.first_name,
      last_name: u.last_name,
      password_hash: u.password_hash,
      recent_activity: u.recent_activity,
      avatar_object: u.avatar_object === null ? null : JSON.stringify(u.avatar_object),
      created_at: u.created_at,
      updated_at: u.created_at,
    };
    try {
      await this.ctx.db.insertInto('users').values(row).execute();
    } catch (err) {
      this.conflict(err);
    }
    return userFromRow(row);
  }

  async byId(orgId: string, id: string): Promise<UserRecord | undefined> {
    const r = await this.ctx.db.selectFrom('users').selectAll().where('organization_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && userFromRow(r);
  }

  async byLogin(orgId: string, login: string): Promise<UserRecord | undefined> {
    const r = await this.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where('login_lower', '=', login.toLowerCase())
      .executeTakeFirst();
    return r && userFromRow(r);
  }

  async byEmail(orgId: string, email: string): Promise<UserRecord | undefined> {
    const r = await this.ctx.db.selectFrom('users').selectAll().where('organization_id', '=', orgId).where('email', '=', email).executeTakeFirst();
    return r && userFromRow(r);
  }

  async byIds(orgId: string, ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where('id', 'in', [...new Set(ids)])
      .orderBy('id', 'desc')
      .execute();
    return rows.map(userFromRow);
  }

  async update(orgId: string, id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined> {
    const set: Partial<UsersTable> = { updated_at: now };
    if (patch.login !== undefined) {
      set.login = patch.login;
      set.login_lower = patch.login.toLowerCase();
    }
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.phone !== undefined) set.phone = patch.phone;
    if (patch.first_name !== undefined) set.first_name = patch.first_name;
    if (patch.last_name !== undefined) set.last_name = patch.last_name;
    if (patch.password_hash !== undefined) set.password_hash = patch.password_hash;
    if (patch.avatar_object !== undefined) set.avatar_object = patch.avatar_object === null ? null : JSON.stringify(patch.avatar_object);
    try {
      const r = await this.ctx.db
        .updateTable('users')
        .set(set)
        .where('organization_id', '=', orgId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return r && userFromRow(r);
    } catch (err) {
      this.conflict(err);
    }
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const r = await this.ctx.db.deleteFrom('users').where('organization_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async search(orgId: string, q: UserSearch): Promise<UserRecord[]> {
    const pattern = `%${likeLiteral(q.keyword.toLowerCase())}%`;
    let query = this.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where((eb) =>
        eb.or([
          eb(sql`login_lower`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(first_name, ''))`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(last_name, ''))`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    if (q.updatedAfter !== undefined) query = query.where('updated_at', '>', q.updatedAfter);
    if (q.excludeIds.length > 0) query = query.where('id', 'not in', [...q.excludeIds]);
    const rows = await query
      .orderBy(sql`coalesce(first_name, '')`, 'desc')
      .orderBy(sql`coalesce(last_name, '')`, 'asc')
      .orderBy('login_lower', 'asc')
      .limit(q.limit)
      .execute();
    return rows.map(userFromRow);
  }

  async byEmailsOrPhones(orgId: string, emails: readonly string[], phones: readonly string[]): Promise<UserRecord[]> {
    if (emails.length === 0 && phones.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where((eb) => eb.or([...(emails.length > 0 ? [eb('email', 'in', [...new Set(emails)])] : []), ...(phones.length > 0 ? [eb('phone', 'in', [...new Set(phones)])] : [])]))
      .execute();
    return rows.map(userFromRow);
  }

  async setRecentActivity(orgId: string, id: string, unixSeconds: number): Promise<void> {
    await this.ctx.db.updateTable('users').set({ recent_activity: unixSeconds }).where('organization_id', '=', orgId).where('id', '=', id).execute();
  }

  async replacePasswordHash(orgId: string, id: string, expected: string, next: string): Promise<boolean> {
    const r = await this.ctx.db.updateTable('users').set({ password_hash: next }).where('organization_id', '=', orgId).where('id', '=', id).where('password_hash', '=', expected).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
