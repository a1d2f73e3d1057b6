import { Errors, samaError } from '../../protocol/errors.js';
import { requireAdmin, sendHttpError, type HttpRoutes } from '../http.js';

/**
 * `POST /admin/activity/online` (protocol.md §10.3): `online_list` for `userId` within
 * `organizationId` — `{count}` or `{users}` — behind the admin key, with the same rules.
 */
export const adminActivityRoutes: HttpRoutes = (app, ctx) => {
  app.post('/admin/activity/online', async (req, reply) => {
    try {
      requireAdmin(req, ctx);
      const { organizationId, userId, ...query } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof organizationId !== 'string' || !(await ctx.deps.store.organizations.byId(organizationId))) throw samaError(Errors.organizationNotFound);
      if (typeof userId !== 'string' || !(await ctx.deps.store.users.byId(organizationId, userId))) throw samaError(Errors.incorrectUser);
      const handler = ctx.dispatcher.handler('online_list');
      if (!handler) throw samaError(Errors.routeNotFound);
      const result = await ctx.dispatcher.execute(handler, query, { session: { orgId: organizationId, userId, deviceId: 'admin-api' }, address: req.ip, deps: ctx.deps, now: Date.now() });
      return result.response ?? {};
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  });
};
