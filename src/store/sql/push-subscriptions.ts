import type { PushEventRecord, PushEventStore, PushOutboxRecord, PushPlatform, PushSubscriptionRecord, PushSubscriptionStore } from '../store.js';
import type { SqlContext } from './dialect.js';
import type { PushSubscriptionsTable } from './schema.js';
import { newOutboxRow } from './push-outbox.js';

function fromRow(r: PushSubscriptionsTable): PushSubscriptionRecord {
  return {
    _id: r.id,
    organization_id: r.organization_id,
    user_id: r.user_id,
    platform: r.platform as PushPlatform,
    device_udid: r.device_udid,
    web_endpoint: r.web_endpoint,
    web_key_auth: r.web_key_auth,
    web_key_p256dh: r.web_key_p256dh,
    device_token: r.device_token,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** PushSubscriptionStore over Kysely (both dialects); unique on (user_id, device_udid). */
export class SqlPushSubscriptionStore implements PushSubscriptionStore {
  constructor(private readonly ctx: SqlContext) {}

  upsert(sub: PushSubscriptionRecord): Promise<PushSubscriptionRecord> {
    return this.ctx.db.transaction().execute(async (trx) => {
      // The endpoint or token now belongs to this (user, device): drop other holders of it.
      let stale = trx.deleteFrom('push_subscriptions').where('organization_id', '=', sub.organization_id).where((eb) => eb.or([eb('user_id', '!=', sub.user_id), eb('device_udid', '!=', sub.device_udid)]));
      if (sub.web_endpoint !== null) stale = stale.where('web_endpoint', '=', sub.web_endpoint);
      else if (sub.device_token !== null) stale = stale.where('device_token', '=', sub.device_token);
      if (sub.web_endpoint !== null || sub.device_token !== null) await stale.execute();
      const row = await trx
        .insertInto('push_subscriptions')
        .values({ id: sub._id, organization_id: sub.organization_id, user_id: sub.user_id, platform: sub.platform, device_udid: sub.device_udid, web_endpoint: sub.web_endpoint, web_key_auth: sub.web_key_auth, web_key_p256dh: sub.web_key_p256dh, device_token: sub.device_token, created_at: sub.created_at, updated_at: sub.updated_at })
        .onConflict((oc) =>
          oc.columns(['user_id', 'device_udid']).doUpdateSet({ platform: sub.platform, web_endpoint: sub.web_endpoint, web_key_auth: sub.web_key_auth, web_key_p256dh: sub.web_key_p256dh, device_token: sub.device_token, updated_at: sub.updated_at }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return fromRow(row);
    });
  }

  async forUser(orgId: string, userId: string): Promise<PushSubscriptionRecord[]> {
    const rows = await this.ctx.db.selectFrom('push_subscriptions').selectAll().where('organization_id', '=', orgId).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async deleteDevice(orgId: string, userId: string, deviceUdid: string): Promise<boolean> {
    const rows = await this.ctx.db.deleteFrom('push_subscriptions').where('organization_id', '=', orgId).where('user_id', '=', userId).where('device_udid', '=', deviceUdid).returning('id').execute();
    return rows.length > 0;
  }

  async deleteUser(orgId: string, userId: string): Promise<void> {
    await this.ctx.db.deleteFrom('push_subscriptions').where('organization_id', '=', orgId).where('user_id', '=', userId).execute();
  }

  async deleteById(id: string): Promise<boolean> {
    const rows = await this.ctx.db.deleteFrom('push_subscriptions').where('id', '=', id).returning('id').execute();
    return rows.length > 0;
  }
}

/** PushEventStore over Kysely: the event row and its outbox rows commit together. */
export class SqlPushEventStore implements PushEventStore {
  constructor(private readonly ctx: SqlContext) {}

  async create(event: PushEventRecord, pushes: readonly PushOutboxRecord[]): Promise<void> {
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('push_events').values({ id: event._id, organization_id: event.organization_id, user_id: event.user_id, user_ids: JSON.stringify(event.user_ids), message: event.message, created_at: event.created_at, updated_at: event.updated_at }).execute();
      if (pushes.length > 0) {
        await trx.insertInto('push_outbox').values(pushes.map(newOutboxRow)).execute();
      }
    });
  }
}
