import { subscriptionWire, validWebPushEndpoint, webPushKeys } from '../../domain/push.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import type { PushPlatform } from '../../store/store.js';
import { defineHandler } from '../define.js';

/**
 * `push_subscription_create` (protocol.md §3.9): stores the device's subscription, replacing the
 * one it had. Parley checks more than SAMA so that a stored subscription can be delivered to:
 * exactly one of `web_endpoint` (web) or `device_token` (ios, android) — otherwise 422
 * "Incorrect token." —, an https endpoint, and browser keys of the right sizes (else 422
 * "Incorrect keys."). Keys come in base64url or standard base64 (SAMA's web client) and are
 * stored in base64url, the form every sender and SAMA's push daemon can use.
 */
export const pushSubscriptionCreate = defineHandler({
  kind: 'push_subscription_create',
  auth: true,
  schema: RequestSchemas.push_subscription_create,
  errors: { fields: { platform: Errors.incorrectPlatform, device_udid: Errors.incorrectDeviceId, web_endpoint: Errors.incorrectToken, device_token: Errors.incorrectToken, web_key_auth: Errors.incorrectKeys, web_key_p256dh: Errors.incorrectKeys } },
  async handle(input, { deps, session, now }) {
    const platform: PushPlatform = input.platform;
    const endpoint = input.web_endpoint;
    const token = input.device_token;
    if ((endpoint === undefined) === (token === undefined)) throw samaError(Errors.incorrectToken);
    let keys: { auth: string; p256dh: string } | undefined;
    if (endpoint !== undefined) {
      if (input.web_key_auth === undefined || input.web_key_p256dh === undefined) throw samaError(Errors.incorrectKeys);
      if (platform !== 'web' || !validWebPushEndpoint(endpoint)) throw samaError(Errors.incorrectToken);
      keys = webPushKeys(input.web_key_auth, input.web_key_p256dh);
      if (!keys) throw samaError(Errors.incorrectKeys);
    } else if (platform === 'web') {
      throw samaError(Errors.incorrectToken);
    }
    const stored = await deps.store.pushSubscriptions.upsert({
      _id: newId(),
      organization_id: session.orgId,
      user_id: session.userId,
      platform,
      device_udid: deviceIdString(input.device_udid),
      web_endpoint: endpoint ?? null,
      web_key_auth: keys?.auth ?? null,
      web_key_p256dh: keys?.p256dh ?? null,
      device_token: token ?? null,
      created_at: now,
      updated_at: now,
    });
    return { response: { subscription: subscriptionWire(stored) } };
  },
});

/** `push_subscription_list`: `user_id` is required but ignored (SAMA); lists the caller's own. */
export const pushSubscriptionList = defineHandler({
  kind: 'push_subscription_list',
  auth: true,
  schema: RequestSchemas.push_subscription_list,
  errors: { fields: { user_id: Errors.userIdMissed } },
  async handle(_input, { deps, session }) {
    const subs = await deps.store.pushSubscriptions.forUser(session.orgId, session.userId);
    return { response: { subscriptions: subs.map(subscriptionWire) } };
  },
});

/** `push_subscription_delete`: removes the caller's subscription of one device. */
export const pushSubscriptionDelete = defineHandler({
  kind: 'push_subscription_delete',
  auth: true,
  schema: RequestSchemas.push_subscription_delete,
  errors: { fields: { device_udid: Errors.deviceIdRequired } },
  async handle(input, { deps, session }) {
    const removed = await deps.store.pushSubscriptions.deleteDevice(session.orgId, session.userId, deviceIdString(input.device_udid));
    if (!removed) throw samaError(Errors.pushRecordNotFound);
    return { response: { success: true } };
  },
});
