import { oneTimePreKeys } from '../../domain/encryption.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { deviceIdString } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `device_register` (protocol.md §3.11): stores the public key bundle of the session's device,
 * replacing the one it had and all of its one-time pre-keys. The bundle lives
 * ENCRYPTION_DEVICE_TOKEN_EXPIRES_IN seconds from now; registering again renews it. Only public
 * keys reach the server; they are stored as sent and never logged.
 */
export const deviceRegister = defineHandler({
  kind: 'device_register',
  auth: true,
  schema: RequestSchemas.device_register,
  errors: { fields: { identity_key: Errors.incorrectIdentityKey, signed_key: Errors.incorrectSignedKey, one_time_pre_keys: Errors.incorrectOneTimePreKeys } },
  async handle(input, { deps, session, now }) {
    const preKeys = oneTimePreKeys(input.one_time_pre_keys);
    if (!preKeys) throw samaError(Errors.incorrectOneTimePreKeys);
    const { config } = deps;
    await deps.store.encryptedDevices.register(
      { organization_id: session.orgId, user_id: session.userId, device_id: session.deviceId, identity_key: input.identity_key, signed_key: input.signed_key, created_at: now, updated_at: now, expires_at: now + config.encryptionDeviceExpiresIn * 1000 },
      preKeys,
      config.encryptionMaxDevices,
    );
    return { response: { success: true } };
  },
});

/** `device_list`: the caller's live key bundles, `[{identity_key, signed_key, device_id}]`. */
export const deviceList = defineHandler({
  kind: 'device_list',
  auth: true,
  schema: RequestSchemas.device_list,
  async handle(_input, { deps, session, now }) {
    const devices = await deps.store.encryptedDevices.forUser(session.orgId, session.userId, now);
    return { response: { devices: devices.map((d) => ({ identity_key: d.identity_key, signed_key: d.signed_key, device_id: d.device_id })) } };
  },
});

/**
 * `device_delete`: removes one of the caller's key bundles (any of their devices, this one
 * included) with its one-time pre-keys and queued encrypted messages. A device id the caller has
 * no bundle for — unknown, or another user's — is 403 `Forbidden.` either way, so the answer
 * tells nothing about other users' devices.
 */
export const deviceDelete = defineHandler({
  kind: 'device_delete',
  auth: true,
  schema: RequestSchemas.device_delete,
  async handle(input, { deps, session }) {
    const removed = await deps.store.encryptedDevices.delete(session.orgId, session.userId, deviceIdString(input.device_id));
    if (!removed) throw samaError(Errors.forbidden);
    return { response: { success: true } };
  },
});
