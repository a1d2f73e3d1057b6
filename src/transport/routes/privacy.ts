import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { eraseUser } from '../../domain/erasure.js';
import type { DataExports } from '../../domain/exports.js';
import type { ObjectStorage } from '../../files/storage.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { IdString } from '../../protocol/schemas.js';
import { compile } from '../../protocol/validation.js';
import { requireAdmin, sendHttpError, type HttpContext, type HttpRoutes } from '../http.js';
import type { LocalSessions } from '../sessions.js';

const UserBody = compile(Type.Object({ organizationId: IdString, userId: IdString }, { additionalProperties: false }));
const ExportQuery = compile(Type.Object({ organizationId: IdString, userId: IdString, id: IdString }, { additionalProperties: false }));
const EraseBody = compile(Type.Object({ organizationId: IdString, userId: IdString, keepMessages: Type.Optional(Type.Boolean()) }, { additionalProperties: false }));

async function requireUser(ctx: HttpContext, orgId: string, userId: string): Promise<void> {
  if (!(await ctx.deps.store.organizations.byId(orgId))) throw samaError(Errors.organizationNotFound);
  if (!(await ctx.deps.store.users.byId(orgId, userId))) throw samaError(Errors.userNotFound);
}

function adminRoute(ctx: HttpContext, status: number, work: (req: FastifyRequest) => Promise<Record<string, unknown>>): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (req, reply) => {
    try {
      requireAdmin(req, ctx);
      const out = await work(req);
      return await reply.code(status).send(out);
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  };
}

/**
 * Personal data routes (docs/protocol-extensions.md, Personal data export and erasure):
 * - `GET /exports/:id?expires&signature`: the archive, for whoever holds the signed URL until
 *   it expires (403 for a bad or expired signature, 404 once the archive is gone);
 * - `POST /admin/user/export` `{organizationId, userId}` → 201 `{export}`: an export job built
 *   like a user's own, not rate-limited and not announced to the user;
 * - `GET /admin/user/export?organizationId&userId&id` → `{export}` with its URL once ready;
 * - `DELETE /admin/user` `{organizationId, userId, keepMessages?}` → `{removed, …}`: erases the
 *   user as `npm run admin -- user delete` does (domain/erasure.ts) and closes their sockets.
 */
export function privacyRoutes(exports: DataExports, storage: ObjectStorage, sessions: LocalSessions): HttpRoutes {
  return (app, ctx) => {
    app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/exports/:id', async (req, reply) => {
      const check = exports.checkUrl(req.params.id, req.query, Date.now());
      if (!check.ok) return reply.code(check.status).type('text/plain; charset=utf-8').send(check.reason);
      const body = await storage.read(req.params.id);
      if (!body) return reply.code(404).type('text/plain; charset=utf-8').send('Export not found.');
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="parley-export-${req.params.id}.tar.gz"`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(body);
    });

    app.post('/admin/user/export', adminRoute(ctx, 201, async (req) => {
      const body = UserBody.parse(req.body ?? {});
      await requireUser(ctx, body.organizationId, body.userId);
      const now = Date.now();
      return { export: exports.wire(await exports.request(body.organizationId, body.userId, 'admin', now), now) };
    }));

    app.get('/admin/user/export', adminRoute(ctx, 200, async (req) => {
      const q = ExportQuery.parse(req.query ?? {});
      const now = Date.now();
      const job = await ctx.deps.store.exports.byId(q.organizationId, q.userId, q.id);
      if (!job || job.expires_at <= now) throw samaError(Errors.exportNotFound);
      return { export: exports.wire(job, now) };
    }));

    app.delete('/admin/user', adminRoute(ctx, 200, async (req) => {
      const body = EraseBody.parse(req.body ?? {});
      await requireUser(ctx, body.organizationId, body.userId);
      const result = await eraseUser(ctx.deps.store, storage, body.organizationId, body.userId, { keepMessages: body.keepMessages ?? false, now: Date.now() });
      sessions.closeUser(body.organizationId, body.userId, 4001, 'user deleted');
      return { success: true, removed: result.removed, conversationsDeleted: result.conversationsDeleted, ownershipsHandedOver: result.ownershipsHandedOver };
    }));
  };
}
