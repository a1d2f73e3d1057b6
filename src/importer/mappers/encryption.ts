import { oneTimePreKeys } from '../../domain/encryption.js';
import type { CollectionSpec } from '../spec.js';
import { bad, deviceId, isObject, objectId, skip, time, times } from '../values.js';

/**
 * End-to-end encryption: key bundles and the encrypted messages a device has not fetched yet
 * (protocol.md §11.16). Bundles past ENCRYPTION_DEVICE_TOKEN_EXPIRES_IN since their last
 * registration, and pending deliveries past ENCRYPTION_MESSAGE_EXPIRED_IN, are left out: SAMA's
 * TTL indexes would have removed them.
 */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

export const encryptedDevices: CollectionSpec = {
  collection: 'encrypted_devices',
  table: 'encrypted_devices',
  fields: ['user_id', 'device_id', 'identity_key', 'signed_key', 'one_time_pre_keys', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys bundles by (user, device)' },
  parse(doc, settings) {
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const device = deviceId(doc.device_id) ?? bad('no device_id');
    const identity = typeof doc.identity_key === 'string' && doc.identity_key.length > 0 ? doc.identity_key : bad('no identity_key');
    const signed = typeof doc.signed_key === 'string' && doc.signed_key.length > 0 ? doc.signed_key : bad('no signed_key');
    const raw = doc.one_time_pre_keys ?? [];
    const keys =
      Array.isArray(raw) && raw.every((k) => typeof k === 'string')
        ? oneTimePreKeys(raw)
        : isObject(raw) && Object.values(raw).every((k) => typeof k === 'string')
          ? oneTimePreKeys(raw as Record<string, string>)
          : undefined;
    if (!keys) bad('one_time_pre_keys is not a list or object of keys');
    const t = times(doc, undefined, settings.now);
    const registered = time(doc.updated_at) ?? t.updated_at;
    const expires_at = registered + settings.encryptedDeviceTtlSec * 1000;
    if (expires_at <= settings.now) skip('expired');
    return {
      refs: { users: [user] },
      build(look) {
        const organization_id = look.userOrg(user) ?? bad('user not in the dump', user);
        return {
          rows: [{ organization_id, user_id: user, device_id: device, identity_key: identity, signed_key: signed, created_at: t.created_at, updated_at: registered, expires_at }],
          ...(keys.length > 0 ? { extra: [{ table: 'encrypted_pre_keys', rows: keys.map((k, seq) => ({ user_id: user, device_id: device, seq, key_id: k.key_id, pre_key: k.pre_key })) }] } : {}),
        };
      },
    };
  },
};

const STATUS_FIELDS = new Set(['_id', 'mid', 'cid', ...TIME_FIELDS]);

/**
 * SAMA marks an encrypted message undelivered per recipient identity key (`<key>: "notdelivered"`);
 * Parley queues it per device, so each key becomes the inbox row of the device registered with it.
 */
export const encryptedMessageStatuses: CollectionSpec = {
  collection: 'encrypted_message_statuses',
  table: 'encrypted_inbox',
  fields: [...STATUS_FIELDS],
  openFields: true,
  parse(doc, settings) {
    const mid = objectId(doc.mid) ?? bad('mid is not an ObjectId');
    const identities = Object.entries(doc)
      .filter(([k, v]) => !STATUS_FIELDS.has(k) && v === 'notdelivered')
      .map(([k]) => k);
    const t = times(doc, undefined, settings.now);
    const expires_at = t.created_at + settings.encryptedMessageTtlSec * 1000;
    if (expires_at <= settings.now) skip('expired');
    if (identities.length === 0) skip('delivered to every device');
    return {
      refs: { messages: [mid], identityKeys: identities },
      build(look) {
        const m = look.message(mid) ?? bad('message not in the dump', mid);
        const devices = identities.flatMap((k) => look.devicesWithIdentity(k));
        if (devices.length === 0) skip('no imported device holds the identity keys');
        return { rows: devices.map((d) => ({ user_id: d.user_id, device_id: d.device_id, cid: m.cid, mid, expires_at })) };
      },
    };
  },
};
