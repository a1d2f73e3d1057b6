import type { SessionDirectory } from '../../domain/session.js';
import { bareError } from '../../protocol/errors.js';
import { requireAdmin, sendHttpError, type HttpContext, type HttpRoutes } from '../http.js';
import type { LocalSessions } from '../sessions.js';

/** Why sessions end: the close code and reason their sockets get. */
export const END_REASONS = {
  revoked: { code: 4002, reason: 'sessions revoked' },
  password: { code: 4002, reason: 'password changed' },
  deleted: { code: 4001, reason: 'user deleted' },
} as const;

/** Why a user's sessions end (see END_REASONS). */
export type EndReason = keyof typeof END_REASONS;

/**
 * Ends one user's sessions after their account changed beneath the node: revokes their tokens if
 * the user still exists and closes their sockets on every node with the reason's close code.
 * The caller has made the node forget its cached reads. Resolves true when the user was online
 * as this node saw it.
 */
export async function endUserSessions(ctx: HttpContext, sessions: LocalSessions, orgId: string, userId: string, reason: EndReason): Promise<boolean> {
  const why = END_REASONS[reason];
  if (await ctx.deps.store.users.byId(orgId, userId)) await ctx.deps.tokens.revokeUser(userId);
  const online = ctx.deps.sessions.isOnline(orgId, userId);
  // Told to every node even when this one has not yet heard of the user's newest socket.
  sessions.closeUser(orgId, userId, why.code, why.reason);
  return online;
}

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
        if (typeof reason !== 'string' || !Object.hasOwn(END_REASONS, reason)) throw bareError('"reason" must be one of revoked, password, deleted');
        const why = END_REASONS[reason as keyof typeof END_REASONS];
        forgetCachedReads();
        const directory: SessionDirectory = ctx.deps.sessions;
        if (userId === undefined) {
          // This node's view of who is online anywhere: a device that connected elsewhere a moment
          // ago may not be in it yet (its tokens are gone with the organization's users, though).
          const online = directory.onlineUserIds(organizationId);
          for (const id of online) sessions.closeUser(organizationId, id, why.code, why.reason);
          return { success: true, users: online.length };
        }
        const online = await endUserSessions(ctx, sessions, organizationId, userId, reason as EndReason);
        return { success: true, users: online ? 1 : 0 };
      } catch (err) {
        return sendHttpError(reply, ctx, err);
      }
    });
  };
}
