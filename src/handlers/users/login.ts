import { publicUser } from '../../domain/users.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import type { UserRecord } from '../../store/store.js';
import { defineHandler, type HandlerContext } from '../define.js';

/**
 * Checks a login+password pair under the login throttle (domain/login-throttle.ts): 429 before
 * any password work when this source must wait. An unknown login costs the same argon2 time as a
 * wrong password, so timing does not tell which logins exist. `deviceId` (when the client gave
 * one) lets a device the owner logged in from keep working while the login is under attack.
 * A matching hash in an old scheme (imported from SAMA) is replaced by argon2id here, so both
 * login paths that take a password (`user_login`, `POST /login`) upgrade it.
 */
export async function checkPassword(ctx: HandlerContext, orgId: string, by: { login?: string; userId?: string }, password: string, deviceId?: string): Promise<UserRecord> {
  const { deps, now, address } = ctx;
  const key = `login:${orgId}:${(by.login ?? by.userId ?? '').toLowerCase()}`;
  const source = { address, deviceId };
  if ((await deps.limiters.admit(key, source, now)) !== undefined) throw samaError(Errors.tooManyRequests);
  const user = by.login !== undefined ? await deps.store.users.byLogin(orgId, by.login) : await deps.store.users.byId(orgId, by.userId ?? '');
  const ok = user ? await deps.passwords.verify(user.password_hash, password) : await deps.passwords.verifyNobody(password);
  if (!user || !ok) {
    await deps.limiters.failed(key, source, now);
    throw samaError(Errors.badCredentials);
  }
  await deps.limiters.succeeded(key, source, now);
  if (!deps.passwords.needsRehash(user.password_hash)) return user;
  // A hash imported from SAMA: the password just matched, so store it as argon2id from now on.
  // Compare-and-set, so a password changed meanwhile (another device) is not overwritten.
  const upgraded = await deps.passwords.hash(password);
  const replaced = await deps.store.users.replacePasswordHash(user.organization_id, user._id, user.password_hash, upgraded);
  return replaced ? { ...user, password_hash: upgraded } : user;
}

/**
 * `user_login` (protocol.md §3.1, legacy flow): login+password (or userId+password), or a stored
 * access/refresh token of this device. Binds the socket and returns a fresh access token; the
 * device's previous access token stops working (one live token per device).
 */
export const userLogin = defineHandler({
  kind: 'user_login',
  auth: false,
  schema: RequestSchemas.user_login,
  errors: { fields: { device_id: Errors.deviceIdRequired, login: Errors.loginOrPasswordMissing, password: Errors.loginOrPasswordMissing } },
  async handle(input, ctx) {
    const { deps, now } = ctx;
    const deviceId = deviceIdString(input.device_id);
    let user: UserRecord | undefined;
    if (input.token !== undefined && input.login === undefined) {
      const owner = await deps.tokens.verify(input.token, ['access', 'refresh'], now, deviceId);
      user = owner && (await deps.store.users.byId(owner.orgId, owner.userId));
      if (!user) throw samaError(Errors.tokenExpired);
    } else if ((input.login !== undefined || input.userId !== undefined) && input.password !== undefined && input.token === undefined) {
      user = await checkPassword(ctx, input.organization_id, { login: input.login, userId: input.userId }, input.password, deviceId);
    } else {
      throw samaError(Errors.loginOrPasswordMissing);
    }
    const access = await deps.tokens.issueAccess(user, deviceId, now);
    return {
      response: { user: publicUser(user, deps.files.imageUrl(user.avatar_object, now)), token: access.token },
      session: { kind: 'bind', session: { orgId: user.organization_id, userId: user._id, deviceId } },
    };
  },
});
