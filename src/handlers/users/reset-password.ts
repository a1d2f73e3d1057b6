import { checkResetCode } from '../../domain/otp.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_reset_password` (protocol.md §3.1): replaces the password when the code mailed for this
 * device matches (string or number alike), then revokes every token of (user, device), the code
 * included. Wrong codes count towards the login rate limit, so codes cannot be brute-forced.
 */
export const userResetPassword = defineHandler({
  kind: 'user_reset_password',
  auth: false,
  schema: RequestSchemas.user_reset_password,
  errors: { fields: { device_id: Errors.deviceIdRequired, new_password: Errors.incorrectPassword } },
  async handle(input, { deps, now, address }) {
    const key = `otp-check:${input.organization_id}:${input.email.toLowerCase()}`;
    const deviceId = deviceIdString(input.device_id);
    const source = { address, deviceId };
    if ((await deps.limiters.admit(key, source, now)) !== undefined) throw samaError(Errors.tooManyRequests);
    const user = await deps.store.users.byEmail(input.organization_id, input.email);
    if (!user) throw samaError(Errors.userNotFound);
    if (!(await checkResetCode(deps.store.tokens, user, deviceId, input.token, now))) {
      await deps.limiters.failed(key, source, now);
      throw samaError(Errors.badRecoveryToken);
    }
    await deps.store.users.update(user.organization_id, user._id, { password_hash: await deps.passwords.hash(input.new_password) }, now);
    await deps.tokens.revokeDevice(user._id, deviceId);
    await deps.limiters.succeeded(key, source, now);
    return { response: { success: true } };
  },
});
