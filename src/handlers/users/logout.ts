import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `user_logout` (protocol.md §2.4): revokes every token of this device at once, removes the
 * device's push subscription (a logged-out device gets no pushes) and its encryption key bundle
 * with its queued encrypted messages, and unbinds the socket, which stays open. Other devices are untouched.
 */
export const userLogout = defineHandler({
  kind: 'user_logout',
  auth: true,
  schema: RequestSchemas.user_logout,
  async handle(_input, { deps, session }) {
    await deps.tokens.revokeDevice(session.userId, session.deviceId);
    await deps.store.pushSubscriptions.deleteDevice(session.orgId, session.userId, session.deviceId);
    await deps.store.encryptedDevices.delete(session.orgId, session.userId, session.deviceId);
    return { response: { success: true }, session: { kind: 'unbind' } };
  },
});
