import type { BlockStore } from '../store.js';
import type { SqlContext } from './dialect.js';

/** BlockStore over Kysely (both dialects). */
export class SqlBlockStore implements BlockStore {
  constructor(private readonly ctx: SqlContext) {}

  async block(orgId: string, userId: string, blockedIds: readonly string[], now: number): Promise<void> {
    if (blockedIds.length === 0) return;
    // A blocker who turned enforcement off keeps it off for new rows too.
    const existing = await this.ctx.db.selectFrom('blocked_users').select('enabled').where('organization_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    const enabled = existing?.enabled ?? 1;
    await this.ctx.db
      .insertInto('blocked_users')
      .values([...new Set(blockedIds)].map((id) => ({ organization_id: orgId, user_id: userId, blocked_user_id: id, enabled, created_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async unblock(orgId: string, userId: string, blockedIds: readonly string[]): Promise<void> {
    if (blockedIds.length === 0) return;
    await this.ctx.db.deleteFrom('blocked_users').where('organization_id', '=', orgId).where('user_id', '=', userId).where('blocked_user_id', 'in', [...blockedIds]).execute();
  }

  async list(orgId: string, userId: string): Promise<string[]> {
    const rows = await this.ctx.db.selectFrom('blocked_users').select('blocked_user_id').where('organization_id', '=', orgId).where('user_id', '=', userId).orderBy('created_at').orderBy('blocked_user_id').execute();
    return rows.map((r) => r.blocked_user_id);
  }

  async setEnabled(orgId: string, userId: string, enabled: boolean): Promise<void> {
    await this.ctx.db.updateTable('blocked_users').set({ enabled: enabled ? 1 : 0 }).where('organization_id', '=', orgId).where('user_id', '=', userId).execute();
  }

  async blockedEitherWay(orgId: string, a: string, b: string): Promise<boolean> {
    const row = await this.ctx.db
      .selectFrom('blocked_users')
      .select('user_id')
      .where('organization_id', '=', orgId)
      .where('enabled', '=', 1)
      .where((eb) => eb.or([eb.and([eb('user_id', '=', a), eb('blocked_user_id', '=', b)]), eb.and([eb('user_id', '=', b), eb('blocked_user_id', '=', a)])]))
      .executeTakeFirst();
    return row !== undefined;
  }

  async deleteUser(orgId: string, userId: string): Promise<void> {
    await this.ctx.db.deleteFrom('blocked_users').where('organization_id', '=', orgId).where((eb) => eb.or([eb('user_id', '=', userId), eb('blocked_user_id', '=', userId)])).execute();
  }
}
