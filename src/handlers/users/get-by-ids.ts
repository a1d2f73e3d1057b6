import { publicUser } from '../../domain/users.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/** `get_users_by_ids`: users of the caller's organization among `ids`, newest id first; unknown ids skipped. */
export const getUsersByIds = defineHandler({
  kind: 'get_users_by_ids',
  auth: true,
  schema: RequestSchemas.get_users_by_ids,
  async handle(input, { deps, session, now }) {
    const users = await deps.store.users.byIds(session.orgId, input.ids);
    return { response: { users: users.map((u) => publicUser(u, deps.files.imageUrl(u.avatar_object, now))) } };
  },
});
