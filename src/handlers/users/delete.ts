import { eraseUser } from '../../domain/erasure.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_delete` (protocol.md §3.1): removes the caller's account and private data — the profile,
 * the avatar file, all tokens, block-list rows (both sides), address book, push subscriptions
 * and queued pushes, encryption key bundles, operations log and data exports (docs/privacy.md)
 * — and ends all of its sessions (other sockets closed, this one unbound). Messages,
 * conversations, memberships, statuses, reactions and other files stay, as in SAMA.
 */
export const userDelete = defineHandler({
  kind: 'user_delete',
  auth: true,
  schema: RequestSchemas.user_delete,
  async handle(_input, { deps, session, now }) {
    const { removed } = await eraseUser(deps.store, deps.storage, session.orgId, session.userId, { keepMessages: true, now });
    if ((removed.users ?? 0) === 0) throw samaError(Errors.forbidden);
    await deps.tokens.revokeUser(session.userId);
    return { response: { success: true }, session: { kind: 'drop_user', orgId: session.orgId, userId: session.userId } };
  },
});
