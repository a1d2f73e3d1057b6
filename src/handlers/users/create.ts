import { publicUser, unixSeconds } from '../../domain/users.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { ConflictError } from '../../store/store.js';
import { defineHandler } from '../define.js';

/**
 * `user_create` (protocol.md §3.1): registers a user in an existing organization. Login is unique
 * per organization ignoring case; e-mail and phone when non-empty. `device_id` is accepted and
 * ignored.
 */
export const userCreate = defineHandler({
  kind: 'user_create',
  auth: false,
  schema: RequestSchemas.user_create,
  errors: { fields: { login: Errors.incorrectLogin, password: Errors.incorrectPassword } },
  async handle(input, { deps, now }) {
    const org = await deps.store.organizations.byId(input.organization_id);
    if (!org) throw samaError(Errors.organizationNotFound);
    const password_hash = await deps.passwords.hash(input.password);
    try {
      const user = await deps.store.users.insert({
        _id: newId(),
        organization_id: org._id,
        login: input.login,
        email: input.email === '' ? null : input.email,
        phone: input.phone === undefined || input.phone === '' ? null : input.phone,
        first_name: null,
        last_name: null,
        password_hash,
        recent_activity: unixSeconds(now),
        avatar_object: null,
        created_at: now,
      });
      return { response: { user: publicUser(user) } };
    } catch (err) {
      if (err instanceof ConflictError) throw samaError(Errors.userDataTaken);
      throw err;
    }
  },
});
