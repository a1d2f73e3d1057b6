import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, SamaError, samaError } from '../../protocol/errors.js';
import type { OrganizationRecord, UserRecord } from '../../store/store.js';
import { requireAdmin, type HttpContext } from '../http.js';

/**
 * The JSON admin API of the web console (`/admin/...`, Parley's own): every route checks the
 * admin key first, and every failure is `{error: {status, message}}` with that HTTP status — unlike
 * SAMA's admin routes, which answer text/plain. Unknown errors are logged and answered 500
 * without their text, as everywhere.
 */
export type AdminJsonHandler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Wraps a console route: the admin key, then `work`; a thrown error becomes the JSON error body. */
export function adminJson(ctx: HttpContext, work: AdminJsonHandler): AdminJsonHandler {
  return async (req, reply) => {
    try {
      requireAdmin(req, ctx);
      return await work(req, reply);
    } catch (err) {
      const e = err instanceof SamaError ? err : ctx.dispatcher.toSamaError(err);
      const status = e.status ?? 400;
      return reply.code(status).header('cache-control', 'no-store').send({ error: { status, message: e.message } });
    }
  };
}

/** A 400 for a bad parameter. */
export function badInput(message: string): SamaError {
  return new SamaError(400, message);
}

/** The route parameters and query string as strings (Fastify gives both as plain objects). */
export function stringsOf(value: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The request body as an object (the SAMA body parser makes every body one). */
export function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  return typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
}

/** An optional string field of a body; anything else but absent or null is a 400. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badInput(`"${key}" must be a string`);
  return v;
}

/** `limit` (1-200, default `fallback`) and `after` (an id) of a paged listing. */
export function pageOf(query: Record<string, string | undefined>, fallback = 50): { limit: number; afterId?: string } {
  const raw = query.limit;
  const limit = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badInput('"limit" must be an integer from 1 to 200');
  return query.after ? { limit, afterId: query.after } : { limit };
}

/** The id to pass as `after` for the next page, or null on the last page. */
export function nextOf(rows: readonly { _id: string }[], limit: number): string | null {
  return rows.length === limit ? (rows[rows.length - 1]?._id ?? null) : null;
}

/** The organization of `:orgId`, else a 404. */
export async function organizationOf(ctx: HttpContext, orgId: string | undefined): Promise<OrganizationRecord> {
  const org = orgId === undefined ? undefined : await ctx.deps.store.organizations.byId(orgId);
  if (!org) throw samaError(Errors.organizationNotFound);
  return org;
}

/**
 * The user `:userId` of organization `:orgId`, else a 404: the lookup is scoped to the
 * organization, so the id of a user of another organization is refused like an unknown one.
 */
export async function userOf(ctx: HttpContext, orgId: string | undefined, userId: string | undefined): Promise<UserRecord> {
  const org = await organizationOf(ctx, orgId);
  const user = userId === undefined ? undefined : await ctx.deps.store.users.byId(org._id, userId);
  if (!user) throw new SamaError(404, 'User not found.');
  return user;
}
