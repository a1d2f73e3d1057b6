import { Errors, samaError } from '../../protocol/errors.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `connect` (protocol.md §3.1): binds the socket with an access token issued for this device.
 * The token must be signed, unexpired and not revoked (logout deletes its row).
 */
export const connect = defineHandler({
  kind: 'connect',
  auth: false,
  schema: RequestSchemas.connect,
  errors: { fields: { device_id: Errors.deviceIdRequired, token: Errors.tokenExpired } },
  async handle(input, { deps, now }) {
    const deviceId = deviceIdString(input.device_id);
    const owner = await deps.tokens.verify(input.token, ['access'], now, deviceId);
    const user = owner && (await deps.store.users.byId(owner.orgId, owner.userId));
    if (!user) throw samaError(Errors.tokenExpired);
    return {
      response: { success: true },
      session: { kind: 'bind', session: { orgId: user.organization_id, userId: user._id, deviceId } },
    };
  },
});
