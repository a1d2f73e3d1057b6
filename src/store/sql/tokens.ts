import type { TokenRecord, TokenStore, TokenType } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { UserTokensTable } from './schema.js';

const toRecord = (r: UserTokensTable): TokenRecord => ({ ...r, type: r.type as TokenType });

/** TokenStore over Kysely: primary key (user_id, device_id, type), so `put` is an upsert. */
export class SqlTokenStore implements TokenStore {
  constructor(private readonly ctx: SqlContext) {}

  async put(t: TokenRecord): Promise<void> {
    await this.ctx.db
      .insertInto('user_tokens')
      .values({ ...t })
      .onConflict((oc) =>
        oc.columns(['user_id', 'device_id', 'type']).doUpdateSet({
          token_hash: t.token_hash,
          expires_at: t.expires_at,
          created_at: t.created_at,
          organization_id: t.organization_id,
        }),
      )
      .execute();
  }

  async find(type: TokenType, tokenHash: string, now: number): Promise<TokenRecord | undefined> {
    const r = await this.ctx.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('type', '=', type)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async forDevice(userId: string, deviceId: string, type: TokenType, now: number): Promise<TokenRecord | undefined> {
    const r = await this.ctx.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('type', '=', type)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r && toRecord(r);
  }

  async deleteDevice(userId: string, deviceId: string): Promise<void> {
    await this.ctx.db.deleteFrom('user_tokens').where('user_id', '=', userId).where('device_id', '=', deviceId).execute();
  }

  async deleteUser(userId: string, exceptDeviceId?: string): Promise<void> {
    let q = this.ctx.db.deleteFrom('user_tokens').where('user_id', '=', userId);
    if (exceptDeviceId !== undefined) q = q.where('device_id', '<>', exceptDeviceId);
    await q.execute();
  }

  async sweep(now: number): Promise<number> {
    const r = await this.ctx.db.deleteFrom('user_tokens').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
