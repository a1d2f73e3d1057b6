import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_delete` (protocol.md §3.1): removes the caller's account, revokes all of its tokens,
 * removes its block-list rows (both sides), push subscriptions and encryption key bundles, and ends all of its sessions (other sockets closed,
 * this one unbound). Messages, conversations and memberships stay, as in SAMA.
 */
export const userDelete = defineHandler({
  kind: 'user_delete',
  auth: true,
  schema: RequestSchemas.user_delete,
  async handle(_input, { deps, session }) {
    const removed = await deps.store.users.delete(session.orgId, session.userId);
    if (!removed) throw samaError(Errors.forbidden);
    await deps.tokens.revokeUser(session.userId);
    await deps.store.blocks.deleteUser(session.orgId, session.userId);
    await deps.store.pushSubscriptions.deleteUser(session.orgId, session.userId);
    await deps.store.encryptedDevices.deleteUser(session.orgId, session.userId);
    return { response: { success: true }, session: { kind: 'drop_user', orgId: session.orgId, userId: session.userId } };
  },
});
