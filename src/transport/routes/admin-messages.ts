import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, samaError } from '../../protocol/errors.js';
import { requireAdmin, sendHttpError, type HttpContext, type HttpRoutes } from '../http.js';

/**
 * A device id no client can hold (clients are limited to 255 characters), so requests made
 * through the admin API reach *all* of the sender's devices, as in SAMA (protocol.md §4.3).
 */
const ADMIN_DEVICE = `admin-api:${'-'.repeat(256)}`;

/** Admin message routes: method, path, body key holding the WS packet body, packet name, success status. */
const ROUTES = [
  ['POST', '/admin/message', 'message', 'message', 201],
  ['PUT', '/admin/message', 'messageEdit', 'message_edit', 200],
  ['DELETE', '/admin/message', 'messageDelete', 'message_delete', 200],
  ['PUT', '/admin/message/read', 'messageRead', 'message_read', 200],
  ['PUT', '/admin/message/reaction', 'messageReaction', 'message_reactions_update', 200],
  ['POST', '/admin/message/system', 'messageSystem', 'system_message', 201],
] as const;

async function runAsSender(req: FastifyRequest, ctx: HttpContext, bodyKey: string, kind: string): Promise<Record<string, unknown>> {
  requireAdmin(req, ctx);
  const body = (req.body ?? {}) as Record<string, unknown>;
  const { organizationId, senderId } = body;
  if (typeof organizationId !== 'string' || !(await ctx.deps.store.organizations.byId(organizationId))) throw samaError(Errors.organizationNotFound);
  if (typeof senderId !== 'string' || !(await ctx.deps.store.users.byId(organizationId, senderId))) throw samaError(Errors.incorrectUser);
  const handler = ctx.dispatcher.handler(kind);
  if (!handler) throw samaError(Errors.routeNotFound);
  const result = await ctx.dispatcher.execute(handler, body[bodyKey], { session: { orgId: organizationId, userId: senderId, deviceId: ADMIN_DEVICE }, address: req.ip, deps: ctx.deps, now: Date.now() });
  return result.packet ?? result.response ?? { success: true };
}

/**
 * The HTTP admin API for messages (protocol.md §10.3): the same handlers as the WebSocket packets,
 * acting as `senderId` within `organizationId`, behind the admin key, with the same validation,
 * errors (as text/plain) and events.
 */
export const adminMessageRoutes: HttpRoutes = (app, ctx) => {
  for (const [method, url, bodyKey, kind, status] of ROUTES) {
    app.route({
      method,
      url,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const out = await runAsSender(req, ctx, bodyKey, kind);
          return await reply.code(status).send(out);
        } catch (err) {
          return sendHttpError(reply, ctx, err);
        }
      },
    });
  }
};
