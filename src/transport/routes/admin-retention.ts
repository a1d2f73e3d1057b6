import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { effectivePeriod } from '../../domain/retention.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { MAX_RETENTION_SECONDS } from '../../protocol/requests/retention.js';
import { IdString } from '../../protocol/schemas.js';
import { compile } from '../../protocol/validation.js';
import { ORGANIZATION_SCOPE } from '../../store/store.js';
import { requireAdmin, sendHttpError, type HttpContext, type HttpRoutes } from '../http.js';

const Seconds = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_RETENTION_SECONDS }), Type.Null()]);
const OrgQuery = compile(Type.Object({ organizationId: IdString }, { additionalProperties: false }));
const OrgBody = compile(Type.Object({ organizationId: IdString, seconds: Seconds }, { additionalProperties: false }), { fields: { seconds: Errors.incorrectRetentionPeriod } });
const ConversationBody = compile(Type.Object({ organizationId: IdString, cid: IdString, seconds: Type.Optional(Seconds) }, { additionalProperties: false }), { fields: { seconds: Errors.incorrectRetentionPeriod } });

async function requireOrganization(ctx: HttpContext, orgId: string): Promise<void> {
  if (!(await ctx.deps.store.organizations.byId(orgId))) throw samaError(Errors.organizationNotFound);
}

async function organizationRetention(ctx: HttpContext, orgId: string): Promise<Record<string, unknown>> {
  return { retention: { organizationId: orgId, seconds: (await ctx.deps.store.retention.periods(orgId, [])).organization } };
}

/** Wraps a route body: admin key first, errors as text/plain like the other admin routes. */
function route(ctx: HttpContext, work: (req: FastifyRequest) => Promise<Record<string, unknown>>): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (req, reply) => {
    try {
      requireAdmin(req, ctx);
      return await reply.send(await work(req));
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  };
}

/**
 * Retention through the admin API (docs/protocol-extensions.md, Retention):
 * `GET /admin/organization/retention?organizationId=` and `PUT /admin/organization/retention`
 * `{organizationId, seconds}` read and set the organization's default (null clears it);
 * `PUT /admin/conversation/retention` `{organizationId, cid, seconds?}` reads or sets one
 * conversation's own period without being a participant. Behind the admin key.
 */
export const adminRetentionRoutes: HttpRoutes = (app, ctx) => {
  app.get('/admin/organization/retention', route(ctx, async (req) => {
    const q = OrgQuery.parse(req.query ?? {});
    await requireOrganization(ctx, q.organizationId);
    return organizationRetention(ctx, q.organizationId);
  }));
  app.put('/admin/organization/retention', route(ctx, async (req) => {
    const body = OrgBody.parse(req.body ?? {});
    await requireOrganization(ctx, body.organizationId);
    await ctx.deps.store.retention.set(body.organizationId, ORGANIZATION_SCOPE, body.seconds, Date.now());
    return organizationRetention(ctx, body.organizationId);
  }));
  app.put('/admin/conversation/retention', route(ctx, async (req) => {
    const body = ConversationBody.parse(req.body ?? {});
    const { store } = ctx.deps;
    await requireOrganization(ctx, body.organizationId);
    const conversation = await store.conversations.byId(body.organizationId, body.cid);
    if (!conversation) throw samaError(Errors.conversationNotFound);
    if (body.seconds !== undefined) await store.retention.set(body.organizationId, conversation._id, body.seconds, Date.now());
    const periods = await store.retention.periods(body.organizationId, [conversation._id]);
    return { retention: { cid: conversation._id, seconds: periods.conversations.get(conversation._id) ?? null, organization_seconds: periods.organization, effective_seconds: effectivePeriod(periods, conversation._id) } };
  }));
};
