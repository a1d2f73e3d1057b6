import { publicUser } from '../../domain/users.js';
import { Errors, samaError } from '../../protocol/errors.js';

import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/** `user_last_activity_subscribe` (protocol.md §3.8): watch one user of the organization; replaces the previous watch. */
export const lastActivitySubscribe = defineHandler({
  kind: 'user_last_activity_subscribe',
  auth: true,
  schema: RequestSchemas.user_last_activity_subscribe,
  errors: { fields: { id: Errors.userIdMissed } },
  async handle(input, { deps, session }) {
    const target = await deps.store.users.byId(session.orgId, input.id);
    if (!target) throw samaError(Errors.incorrectUser);
    deps.presence.subscribe(session.orgId, session.userId, target._id);
    return { response: { last_activity: await deps.presence.activityOf(session.orgId, session.userId, [target._id]) } };
  },
});

/** `user_last_activity_unsubscribe`: stop watching. */
export const lastActivityUnsubscribe = defineHandler({
  kind: 'user_last_activity_unsubscribe',
  auth: true,
  schema: RequestSchemas.user_last_activity_unsubscribe,
  handle(_input, { deps, session }) {
    deps.presence.unsubscribe(session.orgId, session.userId);
    return Promise.resolve({ response: { success: true } });
  },
});

/** `user_last_activity`: `0` (online) or last activity for users of the organization. */
export const lastActivity = defineHandler({
  kind: 'user_last_activity',
  auth: true,
  schema: RequestSchemas.user_last_activity,
  async handle(input, { deps, session }) {
    return { response: { last_activity: await deps.presence.activityOf(session.orgId, session.userId, input.ids) } };
  },
});

/**
 * `online_list`: users of the organization online now — a `count`, ids (`idsOnly`), or public user
 * objects (SAMA returns raw rows with password hashes; Parley never does). Pages of `limit`
 * (1–100, default 100) from `offset`. Users who block the caller, or whom the caller blocks, are
 * left out.
 */
export const onlineList = defineHandler({
  kind: 'online_list',
  auth: true,
  schema: RequestSchemas.online_list,
  async handle(input, { deps, session, now }) {
    const visible: string[] = [];
    for (const id of deps.sessions.onlineUserIds(session.orgId).sort()) {
      if (id === session.userId || !(await deps.store.blocks.blockedEitherWay(session.orgId, session.userId, id))) visible.push(id);
    }
    if (input.count === true) return { response: { count: visible.length } };
    const offset = input.offset ?? 0;
    const page = visible.slice(offset, offset + (input.limit ?? 100));
    if (input.idsOnly === true) return { response: { users: page } };
    const users = await deps.store.users.byIds(session.orgId, page);
    return { response: { users: users.map((u) => publicUser(u, deps.files.imageUrl(u.avatar_object, now))) } };
  },
});

/** `activity_status` (§4.4): marks this device backgrounded; it still receives packets, and pushes too. */
export const activityStatus = defineHandler({
  kind: 'activity_status',
  auth: true,
  schema: RequestSchemas.activity_status,
  handle(input) {
    return Promise.resolve({ response: { success: true }, session: { kind: 'inactive', value: input.isInactive } });
  },
});
