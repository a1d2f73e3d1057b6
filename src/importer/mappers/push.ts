import { validWebPushEndpoint, webPushKeys } from '../../domain/push.js';
import type { CollectionSpec } from '../spec.js';
import { anyId, bad, deviceId, objectId, skip, times } from '../values.js';
import { parentOrg, rawOrg } from './common.js';

/** Push subscriptions and events, and the operations log (protocol.md §11.12–11.14). */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

/**
 * Subscriptions are held to the rules push_subscription_create enforces, so every stored one can
 * be delivered to: web needs an https endpoint and browser keys of the right sizes (stored in
 * base64url, whichever base64 SAMA's client sent); iOS and Android need a device token.
 */
export const pushSubscriptions: CollectionSpec = {
  collection: 'push_subscriptions',
  table: 'push_subscriptions',
  fields: ['_id', 'organization_id', 'user_id', 'platform', 'web_endpoint', 'web_key_auth', 'web_key_p256dh', 'device_udid', 'device_token', ...TIME_FIELDS],
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const platform = doc.platform;
    if (platform !== 'web' && platform !== 'ios' && platform !== 'android') bad('platform is not web, ios or android');
    const udid = deviceId(doc.device_udid) ?? bad('no device_udid');
    let endpoint: string | null = null;
    let keys: { auth: string; p256dh: string } | undefined;
    let token: string | null = null;
    if (platform === 'web') {
      if (typeof doc.web_endpoint !== 'string' || !validWebPushEndpoint(doc.web_endpoint)) bad('web subscription without an https endpoint: nothing could be sent to it');
      endpoint = doc.web_endpoint;
      keys = typeof doc.web_key_auth === 'string' && typeof doc.web_key_p256dh === 'string' ? webPushKeys(doc.web_key_auth, doc.web_key_p256dh) : undefined;
      if (!keys) bad('web subscription without usable browser keys: nothing could be sent to it');
    } else {
      token = typeof doc.device_token === 'string' && doc.device_token.length > 0 ? doc.device_token : bad(`${platform} subscription without a device token: nothing could be sent to it`);
    }
    const org = rawOrg(doc);
    const t = times(doc, id, settings.now);
    return {
      refs: { users: [user] },
      build(look) {
        const userOrg = look.userOrg(user) ?? bad('user not in the dump', user);
        return {
          rows: [{ id, organization_id: parentOrg(org, userOrg, look, 'user'), user_id: user, platform, device_udid: udid, web_endpoint: endpoint, web_key_auth: keys?.auth ?? null, web_key_p256dh: keys?.p256dh ?? null, device_token: token, ...t }],
        };
      },
    };
  },
  // SAMA does not keep (user, device_udid) unique; Parley keeps one subscription per device.
  explainClash: () => Promise.resolve({ kind: 'skip', reason: 'another subscription of the same user and device was imported first (Parley keeps one per device)' }),
};

export const pushEvents: CollectionSpec = {
  collection: 'push_events',
  table: 'push_events',
  fields: ['_id', 'user_id', 'user_ids', 'message', ...TIME_FIELDS],
  dropped: { platform: 'declared by SAMA but never set' },
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    if (!Array.isArray(doc.user_ids)) bad('user_ids is not a list');
    const recipients = doc.user_ids.map(anyId).filter((u): u is string => u !== undefined);
    const message = typeof doc.message === 'string' ? doc.message : bad('message is not text');
    const t = times(doc, id, settings.now);
    return {
      refs: { users: [user] },
      build(look) {
        const organization_id = look.userOrg(user) ?? bad('sender not in the dump', user);
        return { rows: [{ id, organization_id, user_id: user, user_ids: JSON.stringify(recipients), message, ...t }] };
      },
    };
  },
};

/**
 * Packets kept for users who were offline (SAMA's own wire packets, which are Parley's). Rows
 * past OPERATIONS_LOG_EXPIRES_IN are left out, as SAMA's TTL index would have removed them.
 */
export const operationsLog: CollectionSpec = {
  collection: 'operations_log',
  table: 'operations_log',
  fields: ['_id', 'user_id', 'packet', ...TIME_FIELDS],
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const packet = typeof doc.packet === 'string' ? doc.packet : bad('packet is not text');
    const t = times(doc, id, settings.now);
    const expires_at = t.created_at + settings.operationsLogTtlSec * 1000;
    if (expires_at <= settings.now) skip('expired');
    const org = rawOrg(doc);
    return {
      refs: { users: [user] },
      build(look) {
        const userOrg = look.userOrg(user) ?? bad('user not in the dump', user);
        return { rows: [{ id, organization_id: parentOrg(org, userOrg, look, 'user'), user_id: user, packet, created_at: t.created_at, expires_at }] };
      },
    };
  },
};
