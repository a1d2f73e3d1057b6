import { encodeSamaHash } from '../../domain/legacy-passwords.js';
import { tokenHash } from '../../domain/tokens.js';
import type { CollectionSpec } from '../spec.js';
import { anyId, bad, deviceId, int, objectId, skip, time, times } from '../values.js';
import { imageRef, optionalText, ownOrg, parentOrg, rawOrg } from './common.js';

/**
 * Organizations, users and their tokens (protocol.md §11.1–11.3).
 */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

/**
 * A password hash that matches no password: for users SAMA stored without one. argon2 cannot
 * parse it, so verification answers "no"; the user sets a password with user_send_otp /
 * user_reset_password.
 */
export const NO_PASSWORD = 'sama-no-password';

export const organizations: CollectionSpec = {
  collection: 'organizations',
  table: 'organizations',
  fields: ['_id', 'name', ...TIME_FIELDS],
  parse(doc, settings) {
    const id = anyId(doc._id) ?? bad('_id is missing or not an id');
    const name = typeof doc.name === 'string' && doc.name.trim() !== '' ? doc.name.trim().slice(0, 255) : bad('no name');
    const t = times(doc, id, settings.now);
    return {
      refs: { organizations: [id], orgNames: [name] },
      build(look) {
        if (look.isMapped(id)) skip('mapped onto another organization by --map-organization', `${id} → ${look.mapOrg(id)}`);
        const holder = look.organizationNamed(name);
        // Names are labels (clients use ids); a taken one must not cost a tenant its data.
        const renamed = holder !== undefined && holder !== id ? `${name} (SAMA ${id})` : undefined;
        look.claimOrganization(id, renamed ?? name);
        return {
          rows: [{ id, name: renamed ?? name, ...t }],
          ...(renamed !== undefined ? { note: `name "${name}" was taken by organization ${holder ?? ''}: imported as "${renamed}"` } : {}),
        };
      },
    };
  },
  explainClash: (row) => Promise.resolve({ kind: 'bad', reason: 'organization name taken', detail: String(row.name) }),
};

export const users: CollectionSpec = {
  collection: 'users',
  table: 'users',
  fields: ['_id', 'organization_id', 'login', 'email', 'phone', 'first_name', 'last_name', 'password_salt', 'encrypted_password', 'recent_activity', 'avatar_object', ...TIME_FIELDS],
  dropped: { avatar_url: 'worked out from avatar_object on every read', native_id: 'the same as _id; Parley adds it to every reply' },
  parse(doc, settings) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const org = rawOrg(doc);
    const login = typeof doc.login === 'string' && doc.login.trim() !== '' ? doc.login : bad('no login');
    if (login.length > 255) bad('login is longer than 255 characters');
    const email = optionalText(doc, 'email', true, 255);
    const phone = typeof doc.phone === 'number' ? String(doc.phone) : optionalText(doc, 'phone', true, 255);
    const first_name = optionalText(doc, 'first_name', false, 255);
    const last_name = optionalText(doc, 'last_name', false, 255);
    const salt = doc.password_salt;
    const digest = doc.encrypted_password;
    let password_hash: string;
    let note: string | undefined;
    if (typeof salt === 'string' && typeof digest === 'string') password_hash = encodeSamaHash(salt, digest) ?? bad('encrypted_password is not 128 hex characters (SHA-512)');
    else if (salt === undefined && digest === undefined) {
      password_hash = NO_PASSWORD;
      note = 'no password in SAMA: the user must set one (user_send_otp, user_reset_password)';
    } else bad('password_salt or encrypted_password missing or not text');
    const t = times(doc, id, settings.now);
    const recent_activity = int(doc.recent_activity) ?? Math.floor(t.created_at / 1000);
    const avatar = imageRef(doc.avatar_object);
    return {
      refs: { organizations: [org] },
      build(look) {
        const organization_id = ownOrg(org, look);
        return {
          rows: [
            {
              id,
              organization_id,
              login,
              login_lower: login.toLowerCase(),
              email,
              phone,
              first_name,
              last_name,
              password_hash,
              recent_activity,
              avatar_object: avatar === null ? null : JSON.stringify(avatar),
              ...t,
            },
          ],
          // Avatars are seen by the whole organization (FileStore scope '*').
          ...(avatar?.file_id !== undefined ? { extra: [{ table: 'file_links', rows: [{ object_id: avatar.file_id, organization_id, scope: '*', created_at: t.created_at }] }] } : {}),
          ...(note !== undefined ? { note } : {}),
        };
      },
    };
  },
  async explainClash(row, tx) {
    const taken = await tx.select<{ id: string; login_lower: string; email: string | null; phone: string | null }>(
      'select id, login_lower, email, phone from users where organization_id = ? and (login_lower = ? or email = ? or phone = ?) limit 1',
      [row.organization_id, row.login_lower, row.email, row.phone],
    );
    const other = taken[0];
    if (!other) return { kind: 'bad', reason: 'clashes with a stored user' };
    const what = other.login_lower === row.login_lower ? `login "${String(row.login)}"` : other.email !== null && other.email === row.email ? `e-mail ${String(row.email)}` : `phone ${String(row.phone)}`;
    return { kind: 'bad', reason: 'login, e-mail or phone taken by another user', detail: `${what} belongs to ${other.id}` };
  },
};

export const userTokens: CollectionSpec = {
  collection: 'user_tokens',
  table: 'user_tokens',
  fields: ['organization_id', 'user_id', 'device_id', 'type', 'token', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys tokens by (user, device, type) and stores a SHA-256 of the token, not the token' },
  parse(doc, settings) {
    const type = doc.type;
    if (type === 'otp') skip('password-reset codes are short-lived: ask for a new one');
    if (type !== 'access' && type !== 'refresh') bad('type is not access or refresh');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const device = deviceId(doc.device_id) ?? bad('no device_id');
    const token = typeof doc.token === 'string' && doc.token.length > 0 ? doc.token : bad('no token');
    const t = times(doc, undefined, settings.now);
    // SAMA's TTL index counts from updated_at (protocol.md §11.2).
    const issued = time(doc.updated_at) ?? t.created_at;
    const expires_at = issued + (type === 'access' ? settings.accessTokenTtlSec : settings.refreshTokenTtlSec) * 1000;
    if (expires_at <= settings.now) skip('expired');
    const org = rawOrg(doc);
    return {
      refs: { users: [user] },
      build(look) {
        const owner = look.userOrg(user) ?? bad('user not in the dump', user);
        const organization_id = parentOrg(org, owner, look, 'user');
        return { rows: [{ organization_id, user_id: user, device_id: device, type, token_hash: tokenHash(token), expires_at, created_at: t.created_at }] };
      },
    };
  },
};
