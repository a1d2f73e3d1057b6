import { Type } from '@sinclair/typebox';
import { IdString } from '../schemas.js';

/** `user_last_activity_subscribe` (protocol.md §3.8): watch one user (replacing the previous one). */
export const LastActivitySubscribeRequest = Type.Object({ id: IdString }, { additionalProperties: false });

/** `user_last_activity`. */
export const LastActivityRequest = Type.Object({ ids: Type.Array(IdString, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });

/** `online_list`: a count, ids, or users, a page at a time. */
export const OnlineListRequest = Type.Object(
  { count: Type.Optional(Type.Boolean()), idsOnly: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);

/** `activity_status`: marks this device backgrounded (it then also gets pushes). */
export const ActivityStatusRequest = Type.Object({ isInactive: Type.Boolean() }, { additionalProperties: false });

/** An empty body; extra keys refused (`user_last_activity_unsubscribe`, `list_blocked_users`, `device_list`). */
export const EmptyRequest = Type.Object({}, { additionalProperties: false });

/** `ping`: any body. */
export const PingRequest = Type.Any();
