import type { Transaction } from 'kysely';
import type { ClaimedBundle, DeviceRef, EncryptedDeviceRecord, EncryptedDeviceStore, EncryptedInboxStore, MessageRecord, OneTimePreKey } from '../store.js';
import type { SqlContext } from './dialect.js';
import { messageFromRow } from './messages.js';
import type { Database, EncryptedDevicesTable } from './schema.js';

function deviceFromRow(r: EncryptedDevicesTable): EncryptedDeviceRecord {
  return { organization_id: r.organization_id, user_id: r.user_id, device_id: r.device_id, identity_key: r.identity_key, signed_key: r.signed_key, created_at: r.created_at, updated_at: r.updated_at, expires_at: r.expires_at };
}

/** Removes devices with their pre-keys and queued messages, inside `trx`. */
async function removeDevices(trx: Transaction<Database>, devices: readonly DeviceRef[]): Promise<void> {
  for (const { user_id, device_id } of devices) {
    await trx.deleteFrom('encrypted_pre_keys').where('user_id', '=', user_id).where('device_id', '=', device_id).execute();
    await trx.deleteFrom('encrypted_inbox').where('user_id', '=', user_id).where('device_id', '=', device_id).execute();
    await trx.deleteFrom('encrypted_devices').where('user_id', '=', user_id).where('device_id', '=', device_id).execute();
  }
}

/** Expired rows removed per sweep transaction, and transactions per sweep (the rest waits for the next). */
const SWEEP_BATCH = 500;
const SWEEP_ROUNDS = 20;

/** Pre-key rows per insert statement (5 parameters each; at most 100 keys per device anyway). */
const PRE_KEY_SLICE = 500;

/**
 * EncryptedDeviceStore over Kysely (both dialects). A one-time pre-key is claimed by one DELETE
 * whose row is picked by a subquery; on PostgreSQL the subquery locks the row it picks and skips
 * rows other transactions hold (FOR UPDATE SKIP LOCKED), so concurrent claims — from this node's
 * pool or from other nodes — each remove, and return, a different key. SQLite runs one write
 * transaction at a time, so the same statement is atomic there without locking clauses.
 */
export class SqlEncryptedDeviceStore implements EncryptedDeviceStore {
  constructor(private readonly ctx: SqlContext) {}

  register(device: EncryptedDeviceRecord, preKeys: readonly OneTimePreKey[], maxDevices: number): Promise<void> {
    const pg = this.ctx.dialect.name === 'postgres';
    return this.ctx.db.transaction().execute(async (trx) => {
      const { user_id, device_id } = device;
      // PostgreSQL: lock the device's row (if any) so two registrations of one device run one
      // after the other; the upsert below locks a new row the same way.
      let current = trx.selectFrom('encrypted_devices').select('identity_key').where('user_id', '=', user_id).where('device_id', '=', device_id);
      if (pg) current = current.forUpdate();
      const before = await current.executeTakeFirst();
      await trx
        .insertInto('encrypted_devices')
        .values({ ...device })
        .onConflict((oc) => oc.columns(['user_id', 'device_id']).doUpdateSet({ organization_id: device.organization_id, identity_key: device.identity_key, signed_key: device.signed_key, updated_at: device.updated_at, expires_at: device.expires_at }))
        .execute();
      // Messages queued for another identity key cannot be decrypted with this one.
      if (before && before.identity_key !== device.identity_key) {
        await trx.deleteFrom('encrypted_inbox').where('user_id', '=', user_id).where('device_id', '=', device_id).execute();
      }
      await trx.deleteFrom('encrypted_pre_keys').where('user_id', '=', user_id).where('device_id', '=', device_id).execute();
      const rows = preKeys.map((k, seq) => ({ user_id, device_id, seq, key_id: k.key_id, pre_key: k.pre_key }));
      for (let at = 0; at < rows.length; at += PRE_KEY_SLICE) await trx.insertInto('encrypted_pre_keys').values(rows.slice(at, at + PRE_KEY_SLICE)).execute();
      // Over the cap: the user's other bundles registered longest ago make room.
      const others = await trx
        .selectFrom('encrypted_devices')
        .select(['user_id', 'device_id'])
        .where('user_id', '=', user_id)
        .where('device_id', '!=', device_id)
        .orderBy('updated_at', 'desc')
        .orderBy('device_id')
        .execute();
      const excess = others.slice(Math.max(0, maxDevices - 1));
      if (excess.length > 0) await removeDevices(trx, excess);
    });
  }

  async forUser(orgId: string, userId: string, now: number): Promise<EncryptedDeviceRecord[]> {
    const rows = await this.ctx.db.selectFrom('encrypted_devices').selectAll().where('user_id', '=', userId).where('organization_id', '=', orgId).where('expires_at', '>', now).orderBy('created_at').orderBy('device_id').execute();
    return rows.map(deviceFromRow);
  }

  async devicesOf(orgId: string, userIds: readonly string[], now: number): Promise<DeviceRef[]> {
    if (userIds.length === 0) return [];
    return this.ctx.db.selectFrom('encrypted_devices').select(['user_id', 'device_id']).where('user_id', 'in', [...new Set(userIds)]).where('organization_id', '=', orgId).where('expires_at', '>', now).execute();
  }

  claim(orgId: string, userIds: readonly string[], now: number): Promise<ClaimedBundle[]> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return Promise.resolve([]);
    const pg = this.ctx.dialect.name === 'postgres';
    return this.ctx.db.transaction().execute(async (trx) => {
      const devices = await trx.selectFrom('encrypted_devices').selectAll().where('user_id', 'in', ids).where('organization_id', '=', orgId).where('expires_at', '>', now).orderBy('created_at').orderBy('device_id').execute();
      const order = new Map(ids.map((id, i) => [id, i]));
      devices.sort((a, b) => (order.get(a.user_id) ?? 0) - (order.get(b.user_id) ?? 0));
      const out: ClaimedBundle[] = [];
      for (const d of devices) {
        let first = trx.selectFrom('encrypted_pre_keys').select('seq').where('user_id', '=', d.user_id).where('device_id', '=', d.device_id).orderBy('seq').limit(1);
        if (pg) first = first.forUpdate().skipLocked();
        const taken = await trx.deleteFrom('encrypted_pre_keys').where('user_id', '=', d.user_id).where('device_id', '=', d.device_id).where('seq', '=', first).returning('pre_key').executeTakeFirst();
        out.push({ user_id: d.user_id, device_id: d.device_id, identity_key: d.identity_key, signed_key: d.signed_key, one_time_pre_key: taken?.pre_key });
      }
      return out;
    });
  }

  delete(orgId: string, userId: string, deviceId: string): Promise<boolean> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('encrypted_devices').select('device_id').where('user_id', '=', userId).where('device_id', '=', deviceId).where('organization_id', '=', orgId).executeTakeFirst();
      if (!found) return false;
      await removeDevices(trx, [{ user_id: userId, device_id: deviceId }]);
      return true;
    });
  }

  async deleteUser(orgId: string, userId: string): Promise<void> {
    await this.ctx.db.transaction().execute(async (trx) => {
      const devices = await trx.selectFrom('encrypted_devices').select(['user_id', 'device_id']).where('user_id', '=', userId).where('organization_id', '=', orgId).execute();
      await removeDevices(trx, devices);
    });
  }

  async sweep(now: number): Promise<number> {
    let total = 0;
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const n = await this.ctx.db.transaction().execute(async (trx) => {
        const expired = await trx.selectFrom('encrypted_devices').select(['user_id', 'device_id']).where('expires_at', '<=', now).orderBy('expires_at').limit(SWEEP_BATCH).execute();
        await removeDevices(trx, expired);
        return expired.length;
      });
      total += n;
      if (n < SWEEP_BATCH) break;
    }
    return total;
  }

  async preKeyCount(userId: string, deviceId: string): Promise<number> {
    const r = await this.ctx.db.selectFrom('encrypted_pre_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('device_id', '=', deviceId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}


/**
 * EncryptedInboxStore over Kysely (both dialects). Rows are written by SqlMessageStore.insert
 * and removed by `ack` in one DELETE … RETURNING, which hands each row to one caller.
 */
export class SqlEncryptedInboxStore implements EncryptedInboxStore {
  constructor(private readonly ctx: SqlContext) {}

  async queued(orgId: string, device: DeviceRef, cid: string, query: { limit: number; ids?: readonly string[] }, now: number): Promise<MessageRecord[]> {
    if (query.ids?.length === 0 || query.limit <= 0) return [];
    let q = this.ctx.db
      .selectFrom('encrypted_inbox as i')
      .innerJoin('messages as m', 'm.id', 'i.mid')
      .selectAll('m')
      .where('i.user_id', '=', device.user_id)
      .where('i.device_id', '=', device.device_id)
      .where('i.cid', '=', cid)
      .where('i.expires_at', '>', now)
      .where('m.organization_id', '=', orgId)
      .where('m.cid', '=', cid);
    if (query.ids) q = q.where('i.mid', 'in', [...query.ids]);
    const rows = await q.orderBy('i.mid').limit(query.limit).execute();
    return rows.map(messageFromRow);
  }

  async ack(device: DeviceRef, cid: string, mids: readonly string[]): Promise<string[]> {
    if (mids.length === 0) return [];
    // One DELETE … RETURNING: of two concurrent acks of a row (two sockets, two nodes), one
    // deletes and returns it; the other finds it gone (PostgreSQL re-checks a row another
    // transaction deleted) and returns nothing for it.
    const rows = await this.ctx.db.deleteFrom('encrypted_inbox').where('user_id', '=', device.user_id).where('device_id', '=', device.device_id).where('cid', '=', cid).where('mid', 'in', [...new Set(mids)]).returning('mid').execute();
    return rows.map((r) => r.mid);
  }

  async pending(device: DeviceRef, cid: string, now: number): Promise<number> {
    const r = await this.ctx.db.selectFrom('encrypted_inbox').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', device.user_id).where('device_id', '=', device.device_id).where('cid', '=', cid).where('expires_at', '>', now).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async sweep(now: number, messagesCreatedBefore: number): Promise<number> {
    await this.ctx.db.deleteFrom('encrypted_inbox').where('expires_at', '<=', now).execute();
    let total = 0;
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const n = await this.ctx.db.transaction().execute(async (trx) => {
        const expired = await trx.selectFrom('messages').select('id').where('encrypted_message_type', 'is not', null).where('created_at', '<=', messagesCreatedBefore).orderBy('created_at').limit(SWEEP_BATCH).execute();
        const ids = expired.map((r) => r.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('encrypted_inbox').where('mid', 'in', ids).execute();
        await trx.deleteFrom('message_hidden').where('mid', 'in', ids).execute();
        await trx.deleteFrom('message_statuses').where('mid', 'in', ids).execute();
        await trx.deleteFrom('message_reactions').where('mid', 'in', ids).execute();
        await trx.deleteFrom('messages').where('id', 'in', ids).execute();
        return ids.length;
      });
      total += n;
      if (n < SWEEP_BATCH) break;
    }
    return total;
  }
}
