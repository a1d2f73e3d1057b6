import type { FastifyReply, FastifyRequest } from 'fastify';
import { publicUser } from '../../domain/users.js';
import { checkPassword } from '../../handlers/users/login.js';
import { Errors, samaError } from '../../protocol/errors.js';
import type { UserRecord } from '../../store/store.js';
import { signCookieValue, unsignCookieValue } from '../cookie-signature.js';
import { sendHttpError, type HttpContext, type HttpRoutes } from '../http.js';

const COOKIE = 'refresh_token';

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

function refreshCookie(req: FastifyRequest, ctx: HttpContext): string | undefined {
  const raw = req.cookies[COOKIE];
  return raw === undefined ? undefined : unsignCookieValue(raw, ctx.config.cookieSecret);
}

function setRefreshCookie(reply: FastifyReply, ctx: HttpContext, value: string, maxAgeSec: number): void {
  const attrs = [`${COOKIE}=${value}`, `Max-Age=${maxAgeSec}`, 'HttpOnly', 'SameSite=Lax'];
  if (ctx.config.cookieSecure) attrs.push('Secure');
  void reply.header('set-cookie', attrs.join('; '));
}

function deviceOf(body: Record<string, unknown>): string {
  const d = body.device_id;
  if (typeof d === 'number' && Number.isFinite(d)) return String(d);
  if (typeof d === 'string' && d.length > 0 && d.length <= 255) return d;
  throw samaError(Errors.deviceIdRequired);
}

/**
 * `POST /login` and `POST /logout` (protocol.md §10.2). Login by password, then by Bearer access
 * token, then by the signed refresh cookie; every login rotates both tokens of the device, which
 * is how an expired access token is renewed. Logout needs the Bearer token and the same device's
 * refresh cookie, revokes both, removes the device's push subscription and unbinds that
 * device's socket.
 */
export const authRoutes: HttpRoutes = (app, ctx) => {
  app.post('/login', async (req, reply) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const deviceId = deviceOf(body);
      const now = Date.now();
      const { deps } = ctx;
      let user: UserRecord | undefined;
      if (typeof body.login === 'string' && typeof body.password === 'string') {
        const orgId = typeof body.organization_id === 'string' ? body.organization_id : '';
        user = await checkPassword({ session: undefined, address: req.ip, deps, now }, orgId, { login: body.login }, body.password, deviceId);
      } else {
        const access = bearer(req);
        const refresh = refreshCookie(req, ctx);
        if (access === undefined && refresh === undefined) throw samaError(Errors.missingCredentials);
        const owner = (access !== undefined ? await deps.tokens.verify(access, ['access'], now, deviceId) : undefined) ?? (refresh !== undefined ? await deps.tokens.verify(refresh, ['refresh'], now, deviceId) : undefined);
        user = owner && (await deps.store.users.byId(owner.orgId, owner.userId));
        if (!user) throw samaError(Errors.tokenExpired);
      }
      const access = await deps.tokens.issueAccess(user, deviceId, now);
      const refresh = await deps.tokens.issueRefresh(user, deviceId, now);
      setRefreshCookie(reply, ctx, signCookieValue(refresh.token, ctx.config.cookieSecret), ctx.config.jwtRefreshTokenExpiresIn);
      return { user: publicUser(user, deps.files.imageUrl(user.avatar_object, now)), access_token: access.token, expired_at: access.expiresAt };
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  });

  app.post('/logout', async (req, reply) => {
    try {
      const now = Date.now();
      const access = bearer(req);
      const owner = access === undefined ? undefined : await ctx.deps.tokens.verify(access, ['access'], now);
      if (!owner) throw samaError(Errors.missingCredentials);
      const refresh = refreshCookie(req, ctx);
      const refreshOwner = refresh === undefined ? undefined : await ctx.deps.tokens.verify(refresh, ['refresh'], now, owner.deviceId);
      if (refreshOwner?.userId !== owner.userId) throw samaError(Errors.incorrectToken);
      await ctx.deps.tokens.revokeDevice(owner.userId, owner.deviceId);
      await ctx.deps.store.pushSubscriptions.deleteDevice(owner.orgId, owner.userId, owner.deviceId);
      await ctx.deps.store.encryptedDevices.delete(owner.orgId, owner.userId, owner.deviceId);
      ctx.deps.sessions.endDevice(owner.orgId, owner.userId, owner.deviceId);
      setRefreshCookie(reply, ctx, '', 0);
      return { success: true };
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  });
};
