import { createHash, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { HandlerDeps } from '../handlers/define.js';
import { MAX_NESTING, isPlainObject, nestsDeeperThan } from '../protocol/envelope.js';
import { Errors, SamaError, samaError } from '../protocol/errors.js';
import type { TrustedProxies } from './client-address.js';
import type { Dispatcher } from './dispatch.js';
import type { Metrics } from './metrics.js';

/** What the HTTP routes need from the rest of the node. */
export interface HttpContext {
  readonly config: Config;
  readonly deps: HandlerDeps;
  readonly dispatcher: Dispatcher;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** False while starting or shutting down (drives /readyz). */
  readonly isReady: () => boolean;
  /** Peers allowed to name the client's address (TRUSTED_PROXIES), shared with the WebSocket side. */
  readonly proxies: TrustedProxies;
  /** Cluster mode: false while Redis cannot be reached (drives /readyz). */
  readonly busHealthy?: () => boolean;
}

/** A route plugin: registers its routes on the app. Feature areas add theirs through main.ts. */
export type HttpRoutes = (app: FastifyInstance, ctx: HttpContext) => void;

/**
 * Sends an error the SAMA way (protocol.md §10.1): catalogued status, `text/plain` body with the
 * message only. Unknown errors are logged and answered 500 without their text.
 */
export function sendHttpError(reply: FastifyReply, ctx: HttpContext, err: unknown): FastifyReply {
  const e = err instanceof SamaError ? err : ctx.dispatcher.toSamaError(err);
  return reply.code(e.status ?? 422).type('text/plain; charset=utf-8').send(e.message);
}

/**
 * Checks the `admin-api-key` header in constant time: the SHA-256 digests of the given and the
 * expected key are compared, so neither the content nor the length of the key shows in the
 * time taken. With no HTTP_ADMIN_API_KEY configured the admin API is off and says so.
 */
export function requireAdmin(req: FastifyRequest, ctx: HttpContext): void {
  const expected = ctx.config.httpAdminApiKey;
  if (expected === undefined) throw new SamaError(403, 'The admin API is disabled: set HTTP_ADMIN_API_KEY to enable it.');
  const given = req.headers['admin-api-key'];
  const a = createHash('sha256').update(typeof given === 'string' ? given : '').digest();
  const b = createHash('sha256').update(expected).digest();
  if (typeof given !== 'string' || !timingSafeEqual(a, b)) throw samaError(Errors.unauthorized);
}

/**
 * Request bodies as SAMA reads them (protocol.md §10.1): JSON is parsed only when the content type
 * says JSON and there is a body; an empty body, or a body of another content type, is `{}` (SAMA's
 * SDK posts `/logout` as JSON with no body at all). JSON that is not an object is `{}` too, so a
 * route always sees an object. Unlike SAMA, a non-empty body that is not JSON is refused with 400
 * "Bad request - invalid data format" rather than silently read as `{}`: the client has a bug
 * worth seeing; so is one nested deeper than MAX_NESTING. Bodies stay capped at the frame limit; routes with their own parsers (local file
 * uploads) override these in their scope.
 */
function acceptBodiesLikeSama(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const raw = typeof text === 'string' ? text : text.toString('utf8');
    if (raw.trim() === '') {
      done(null, {});
      return;
    }
    let parsed: unknown;
    try {
      // Nested too deep, as for WebSocket frames: a body that would overflow the stack later.
      if (nestsDeeperThan(raw, MAX_NESTING)) throw new RangeError('nested too deep');
      parsed = JSON.parse(raw);
    } catch {
      done(samaError(Errors.invalidDataFormat));
      return;
    }
    done(null, isPlainObject(parsed) ? parsed : {});
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => {
    done(null, {});
  });
}

/** Builds the Fastify app with the common routes plus `routes` from feature areas. */
export async function buildHttpApp(ctx: HttpContext, routes: readonly HttpRoutes[]): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = ctx.log;
  // req.ip comes from X-Forwarded-For only through configured proxies (TRUSTED_PROXIES), as for WebSockets.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.maxFrameBytes,
    return503OnClosing: true,
    trustProxy: ctx.proxies.fastifyTrust,
  });
  const origins = ctx.config.corsOrigin.split(',').map((s) => s.trim()).filter(Boolean);
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    credentials: !origins.includes('*'),
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'API-Key', 'admin-api-key', 'x-request-id'],
  });
  await app.register(cookie, { secret: ctx.config.cookieSecret });
  acceptBodiesLikeSama(app);

  app.setNotFoundHandler((_req, reply) => sendHttpError(reply, ctx, samaError(Errors.routeNotFound)));
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof SamaError) return sendHttpError(reply, ctx, err);
    if (err.statusCode === 413) return sendHttpError(reply, ctx, samaError(Errors.payloadTooLarge));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendHttpError(reply, ctx, samaError(Errors.invalidDataFormat));
    return sendHttpError(reply, ctx, err);
  });

  app.get('/health', () => ({ status: 'ok', hostname: ctx.config.nodeName, node_id: ctx.config.nodeId }));
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (!ctx.isReady()) return reply.code(503).send({ status: 'not ready' });
    if (ctx.busHealthy && !ctx.busHealthy()) return reply.code(503).send({ status: 'redis unreachable' });
    try {
      await ctx.deps.store.ping();
    } catch (err) {
      ctx.log.warn({ err }, 'readiness check: store unreachable');
      return reply.code(503).send({ status: 'store unreachable' });
    }
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });

  for (const r of routes) r(app, ctx);
  return app;
}
