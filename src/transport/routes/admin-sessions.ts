import type { SessionDirectory } from '../../domain/session.js';
import { bareError } from '../../protocol/errors.js';
import { requireAdmin, sendHttpError, type HttpRoutes } from '../http.js';
import type { LocalSessions } from '../sessions.js';

/** Why sessions end: the close code and reason their sockets get. */
const REASONS = {
  revoked: { code: 4002, reason: 'sessions revoked' },
  password: { code: 4002, reason: 'password changed' },
  deleted: { code: 4001, reason: 'user deleted' },
} as const;

/**
 * `POST /admin/sessions/end` `{organizationId, userId?, reason?}` → `{success, users}` (Parley's
 * own; SAMA has none): ends live sessions after the admin CLI changed the store beneath the
 * node — a password reset, revoked sessions, a deleted user or organization. The node first
 * forgets its cached reads (users, conversations, memberships, blocks), then, for `userId`,
 * revokes the user's tokens if the user still exists (the CLI has done so already; a call of
 * its own must not leave them valid) and closes the user's sockets on every node; without
 * `userId`, closes the sockets of every online user of the organization. `reason` is `revoked`
 * (default; close code 4002), `password` (4002) or `deleted` (4001). `users` counts the users
 * that were online as this node saw it.
 */
export function adminSessionRoutes(sessions: LocalSessions, forgetCachedReads: () => void): HttpRoutes {
  return (app, ctx) => {
    app.post('/admin/sessions/end', async (req, reply) => {
      try {
        requireAdmin(req, ctx);
        const { organizationId, userId, reason = 'revoked' } = (req.body ?? {}) as Record<string, unknown>;
        if (typeof organizationId !== 'string' || organizationId === '') throw bareError('"organizationId" must be a string');
        if (userId !== undefined && typeof userId !== 'string') throw bareError('"userId" must be a string');
        if (typeof reason !== 'string' || !Object.hasOwn(REASONS, reason)) throw bareError('"reason" must be one of revoked, password, deleted');
        const why = REASONS[reason as keyof typeof REASONS];
        forgetCachedReads();
        const directory: SessionDirectory = ctx.deps.sessions;
        if (userId === undefined) {
          // This node's view of who is online anywhere: a device that connected elsewhere a moment
          // ago may not be in it yet (its tokens are gone with the organization's users, though).
          const online = directory.onlineUserIds(organizationId);
          for (const id of online) sessions.closeUser(organizationId, id, why.code, why.reason);
          return { success: true, users: online.length };
        }
        if (await ctx.deps.store.users.byId(organizationId, userId)) await ctx.deps.tokens.revokeUser(userId);
        const online = directory.isOnline(organizationId, userId);
        // Told to every node even when this one has not yet heard of the user's newest socket.
        sessions.closeUser(organizationId, userId, why.code, why.reason);
        return { success: true, users: online ? 1 : 0 };
      } catch (err) {
        return sendHttpError(reply, ctx, err);
      }
    });
  };
}
