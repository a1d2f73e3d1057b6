import { Type } from '@sinclair/typebox';
import { DeviceId, IdString } from '../schemas.js';

/** A push subscription's device: a client string, numbers accepted. */
const DeviceUdid = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Number()]);

/** `push_subscription_create` (protocol.md §3.9): a Web Push endpoint with its keys, or a device token. */
export const PushSubscriptionCreateRequest = Type.Object(
  {
    platform: Type.Union([Type.Literal('web'), Type.Literal('ios'), Type.Literal('android')]),
    web_endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    web_key_auth: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    web_key_p256dh: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    device_udid: DeviceUdid,
    device_token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  { additionalProperties: false },
);

/** `push_subscription_list`: `user_id` is required and ignored (the caller's own are listed), as in SAMA. */
export const PushSubscriptionListRequest = Type.Object({ user_id: Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Number()]) }, { additionalProperties: false });

/** `push_subscription_delete`. */
export const PushSubscriptionDeleteRequest = Type.Object({ device_udid: DeviceUdid }, { additionalProperties: false });

const PushText = Type.Optional(Type.String({ maxLength: 4096 }));

/** `push_event_create`: a notification to every subscription of the recipients. */
export const PushEventCreateRequest = Type.Object(
  {
    recipients_ids: Type.Array(IdString, { minItems: 1, maxItems: 1000 }),
    message: Type.Object({ title: PushText, topic: PushText, body: PushText, message: PushText }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

const Key = Type.String({ minLength: 1, maxLength: 255 });

/** `device_register` (protocol.md §3.11): this device's key bundle. */
export const DeviceRegisterRequest = Type.Object(
  {
    identity_key: Key,
    signed_key: Key,
    // An array of keys, or an object of named keys (SAMA's web client sends vodozemac's
    // `{key id: key}`); at most 100 either way.
    one_time_pre_keys: Type.Union([Type.Array(Key, { maxItems: 100 }), Type.Record(Type.String(), Key, { maxProperties: 100 })]),
  },
  { additionalProperties: false },
);

/** `device_delete`: one of the caller's devices. */
export const DeviceDeleteRequest = Type.Object({ device_id: DeviceId }, { additionalProperties: false });

/** `request_keys`: up to 50 users' bundles. */
export const RequestKeysRequest = Type.Object({ user_ids: Type.Array(IdString, { maxItems: 50 }) }, { additionalProperties: false });
