import { Errors, bareError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `block_user` (protocol.md §3.3): blocks users of the caller's organization (others are
 * dropped). Blocking again is a no-op success (SAMA answers a raw database error). Blocking
 * oneself is refused with SAMA's text.
 */
export const blockUser = defineHandler({
  kind: 'block_user',
  auth: true,
  schema: RequestSchemas.block_user,
  errors: { any: Errors.invalidDataFormat },
  async handle(input, { deps, session, now }) {
    if (input.ids.includes(session.userId)) throw bareError("Can't block self user");
    const known = (await deps.store.users.byIds(session.orgId, input.ids)).map((u) => u._id);
    await deps.store.blocks.block(session.orgId, session.userId, known, now);
    return { response: { success: true } };
  },
});

/** `unblock_user`: removes blocks; unknown ids are ignored. */
export const unblockUser = defineHandler({
  kind: 'unblock_user',
  auth: true,
  schema: RequestSchemas.unblock_user,
  errors: { any: Errors.invalidDataFormat },
  async handle(input, { deps, session }) {
    await deps.store.blocks.unblock(session.orgId, session.userId, input.ids);
    return { response: { success: true } };
  },
});

/** `list_blocked_users`: ids the caller has blocked, enforced or not. */
export const listBlockedUsers = defineHandler({
  kind: 'list_blocked_users',
  auth: true,
  schema: RequestSchemas.list_blocked_users,
  async handle(_input, { deps, session }) {
    return { response: { users: await deps.store.blocks.list(session.orgId, session.userId) } };
  },
});

/** `block_list_enable`: turns enforcement of all of the caller's blocks on or off. */
export const blockListEnable = defineHandler({
  kind: 'block_list_enable',
  auth: true,
  schema: RequestSchemas.block_list_enable,
  async handle(input, { deps, session }) {
    await deps.store.blocks.setEnabled(session.orgId, session.userId, input.enable);
    return { response: { success: true } };
  },
});
