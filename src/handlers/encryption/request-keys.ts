import { Errors } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/** Bundles handed out for one user, as the reply lists them. */
type WireBundle = { identity_key: string; signed_key: string; one_time_pre_key?: string };

/**
 * `request_keys` (protocol.md §3.11): the live key bundles of the named users of the caller's
 * organization, `{"<user id>": [{identity_key, signed_key, one_time_pre_key}]}`, each device with
 * its first one-time pre-key, which is consumed — no two requests, on any node, get the same one.
 * Users without a bundle, unknown ids and other organizations' users are absent alike;
 * `one_time_pre_key` is absent for a device that has none left. Device ids are not disclosed.
 */
export const requestKeys = defineHandler({
  kind: 'request_keys',
  auth: true,
  schema: RequestSchemas.request_keys,
  // An array of up to 50 that fails has a bad item (SAMA: "Incorrect user id."); anything else
  // is the array's fault.
  errors: { fields: { user_ids: (input) => (Array.isArray(input.user_ids) && input.user_ids.length <= 50 ? Errors.incorrectUserId : Errors.incorrectUsersArray) } },
  async handle(input, { deps, session, now }) {
    const bundles = await deps.store.encryptedDevices.claim(session.orgId, input.user_ids, now);
    const devices = new Map<string, WireBundle[]>();
    for (const b of bundles) {
      const list = devices.get(b.user_id) ?? [];
      list.push({ identity_key: b.identity_key, signed_key: b.signed_key, ...(b.one_time_pre_key === undefined ? {} : { one_time_pre_key: b.one_time_pre_key }) });
      devices.set(b.user_id, list);
    }
    return { response: { devices: Object.fromEntries(devices) } };
  },
});
