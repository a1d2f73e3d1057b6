import { publicUser } from '../../domain/users.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { ConflictError, ORGANIZATION_SCOPE, type UserPatch } from '../../store/store.js';
import { defineHandler } from '../define.js';

/**
 * `user_edit` (protocol.md §3.1): changes the caller's own profile. A new password needs the
 * current one and signs out the user's other devices (Parley note); login, e-mail and phone stay
 * unique in the organization.
 */
export const userEdit = defineHandler({
  kind: 'user_edit',
  auth: true,
  schema: RequestSchemas.user_edit,
  errors: { fields: { current_password: Errors.wrongCurrentPassword } },
  async handle(input, { deps, session, now }) {
    const user = await deps.store.users.byId(session.orgId, session.userId);
    if (!user) throw samaError(Errors.forbidden);
    const patch: UserPatch = {};
    if (input.new_password !== undefined) {
      const ok = input.current_password !== undefined && (await deps.passwords.verify(user.password_hash, input.current_password));
      if (!ok) throw samaError(Errors.wrongCurrentPassword);
      patch.password_hash = await deps.passwords.hash(input.new_password);
    }
    if (input.login !== undefined) patch.login = input.login;
    if (input.email !== undefined) patch.email = input.email;
    if (input.phone !== undefined) patch.phone = input.phone;
    if (input.first_name !== undefined) patch.first_name = input.first_name;
    if (input.last_name !== undefined) patch.last_name = input.last_name;
    if (input.avatar_object !== undefined) {
      // An avatar is seen by the whole organization: it must be a file the user may see.
      await deps.files.shareImage(session.orgId, session.userId, input.avatar_object, ORGANIZATION_SCOPE, now);
      patch.avatar_object = input.avatar_object;
    }
    try {
      const updated = await deps.store.users.update(session.orgId, session.userId, patch, now);
      if (!updated) throw samaError(Errors.forbidden);
      const user = publicUser(updated, deps.files.imageUrl(updated.avatar_object, now));
      if (patch.password_hash === undefined) return { response: { user } };
      // A new password signs out every other device: their tokens stop working and their sockets close.
      await deps.tokens.revokeUser(session.userId, session.deviceId);
      return { response: { user }, session: { kind: 'drop_other_devices' } };
    } catch (err) {
      if (err instanceof ConflictError) throw samaError(Errors.userDataTaken);
      throw err;
    }
  },
});
