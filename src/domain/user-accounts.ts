/**
 * Operator actions on user accounts, shared by the admin CLI (src/cli/commands/users.ts) and the
 * web console's admin API (transport/routes/admin-console-users.ts), so both apply the same
 * rules: the limits of `user_create`, one password hasher, tokens revoked on a password change.
 */
import { randomBytes } from 'node:crypto';
import { Errors, SamaError, samaError } from '../protocol/errors.js';
import { newId } from '../protocol/ids.js';
import { ConflictError, type Store, type UserRecord } from '../store/store.js';
import type { PasswordHasher } from './passwords.js';
import { unixSeconds } from './users.js';

/** What an operator gives to create a user; empty strings count as absent. */
export interface NewAccount {
  readonly login: string;
  readonly password: string;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
}

/** A random password for an operator to hand on (shown once): 20 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/**
 * Throws a 422 SamaError when the password is outside `user_create`'s limits (3-40 characters):
 * a longer one could never be used to log in.
 */
export function checkPassword(password: string): void {
  if (password.length < 3 || password.length > 40) throw new SamaError(422, 'The password must be 3-40 characters.');
}

/**
 * Creates a user in `orgId` with a hashed password. Validates as `user_create` does (login 3-40
 * characters, e-mail at most 255, phone 3-15) and throws a 422 SamaError naming the rule broken;
 * a taken login, e-mail or phone is SAMA's 422 "already associated" error. The organization
 * must exist (the caller checked it).
 */
export async function createAccount(store: Store, passwords: PasswordHasher, orgId: string, fields: NewAccount, now: number): Promise<UserRecord> {
  const email = fields.email === '' ? null : (fields.email ?? null);
  const phone = fields.phone === '' ? null : (fields.phone ?? null);
  if (fields.login.length < 3 || fields.login.length > 40) throw new SamaError(422, 'The login must be 3-40 characters.');
  if (email !== null && email.length > 255) throw new SamaError(422, 'The e-mail address must be at most 255 characters.');
  if (phone !== null && (phone.length < 3 || phone.length > 15)) throw new SamaError(422, 'The phone number must be 3-15 characters.');
  checkPassword(fields.password);
  try {
    return await store.users.insert({
      _id: newId(),
      organization_id: orgId,
      login: fields.login,
      email,
      phone,
      first_name: fields.firstName || null,
      last_name: fields.lastName || null,
      password_hash: await passwords.hash(fields.password),
      recent_activity: unixSeconds(now),
      avatar_object: null,
      created_at: now,
    });
  } catch (err) {
    if (err instanceof ConflictError) throw samaError(Errors.userDataTaken);
    throw err;
  }
}

/**
 * Sets a new password and revokes every token of the user, so a refresh or a reconnect with an
 * old token fails. Open sockets are the server's to close (admin-sessions.ts).
 */
export async function resetAccountPassword(store: Store, passwords: PasswordHasher, user: UserRecord, password: string, now: number): Promise<void> {
  checkPassword(password);
  await store.users.update(user.organization_id, user._id, { password_hash: await passwords.hash(password) }, now);
  await store.tokens.deleteUser(user._id);
}
