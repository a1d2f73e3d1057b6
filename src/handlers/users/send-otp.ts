import { issueResetCode } from '../../domain/otp.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_send_otp` (protocol.md §3.1): mails a six-digit reset code for (user, device). Succeeds
 * only once the mail server accepted the message; with no mail transport configured it refuses
 * (401, as SAMA) rather than pretending. Sends per address are rate-limited.
 */
export const userSendOtp = defineHandler({
  kind: 'user_send_otp',
  auth: false,
  schema: RequestSchemas.user_send_otp,
  errors: { fields: { device_id: Errors.deviceIdRequired } },
  async handle(input, { deps, now, address }) {
    if (!deps.mailer) throw samaError(Errors.otpSenderMissing);
    // Every request counts as a failure: mails are what is limited here, per address and e-mail.
    const key = `otp-send:${input.organization_id}:${input.email.toLowerCase()}`;
    const source = { address };
    if ((await deps.limiters.admit(key, source, now)) !== undefined) throw samaError(Errors.tooManyRequests);
    await deps.limiters.failed(key, source, now);
    const user = await deps.store.users.byEmail(input.organization_id, input.email);
    if (!user) throw samaError(Errors.userNotFound);
    const code = await issueResetCode(deps.store.tokens, user, deviceIdString(input.device_id), now, deps.config.otpExpiresIn);
    await deps.mailer.send({
      to: input.email,
      subject: 'Your password reset code',
      text: `Your password reset code is ${code}. It expires in ${Math.round(deps.config.otpExpiresIn / 60)} minutes. If you did not ask for it, ignore this message.`,
    });
    return { response: { success: true } };
  },
});
