import { publicUser } from '../../domain/users.js';
import { optionalDateMs } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_search` (protocol.md §3.1): case-insensitive substring of login, first or last name
 * within the caller's organization, the caller excluded. A missing `ignore_ids` means none
 * (SAMA crashes instead).
 */
export const userSearch = defineHandler({
  kind: 'user_search',
  auth: true,
  schema: RequestSchemas.user_search,
  async handle(input, { deps, session, now }) {
    const cap = deps.config.searchPreloadCount;
    const updatedAfter = optionalDateMs(input.updated_at?.gt, 'updated_at.gt');
    const users = await deps.store.users.search(session.orgId, {
      keyword: input.keyword,
      limit: Math.min(input.limit ?? cap, cap),
      updatedAfter,
      excludeIds: [session.userId, ...(input.ignore_ids ?? [])],
    });
    return { response: { users: users.map((u) => publicUser(u, deps.files.imageUrl(u.avatar_object, now))) } };
  },
});
