import { Type } from '@sinclair/typebox';
import { publicUser } from '../../domain/users.js';
import { DateValue, IdString, optionalDateMs } from '../../protocol/schemas.js';
import { defineHandler } from '../define.js';

const schema = Type.Object(
  {
    keyword: Type.String({ maxLength: 255 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    updated_at: Type.Optional(Type.Object({ gt: Type.Optional(DateValue) }, { additionalProperties: false })),
    ignore_ids: Type.Optional(Type.Array(IdString, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

/**
 * `user_search` (protocol.md §3.1): case-insensitive substring of login, first or last name
 * within the caller's organization, the caller excluded. A missing `ignore_ids` means none
 * (SAMA crashes instead).
 */
export const userSearch = defineHandler({
  kind: 'user_search',
  auth: true,
  schema,
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
