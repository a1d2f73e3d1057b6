import { Type } from '@sinclair/typebox';
import { DeviceId, DateValue, IdString, ImageObject } from '../schemas.js';

/** `user_create` (protocol.md §3.1; no session needed). `email` is required, as in SAMA. */
export const UserCreateRequest = Type.Object(
  {
    organization_id: Type.String({ minLength: 1, maxLength: 64 }),
    login: Type.String({ minLength: 3, maxLength: 40 }),
    password: Type.String({ minLength: 3, maxLength: 40 }),
    email: Type.String({ maxLength: 255 }),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 15 })),
    device_id: Type.Optional(DeviceId),
  },
  { additionalProperties: false },
);

/**
 * `user_login` (§3.1, legacy flow): `login` (or `userId`) with `password`, or a `token` issued
 * for this `device_id`. Unknown extra keys are tolerated, as in SAMA.
 */
export const UserLoginRequest = Type.Object(
  {
    organization_id: Type.String({ minLength: 1, maxLength: 64 }),
    device_id: DeviceId,
    login: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    password: Type.Optional(Type.String({ maxLength: 255 })),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  { additionalProperties: true },
);

/** `connect` (§2.2): binds the socket with an access token issued for this device. */
export const ConnectRequest = Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }), device_id: DeviceId }, { additionalProperties: true });

/** `user_logout` and `user_delete`: an empty body (extra keys tolerated). */
export const EmptyOpenRequest = Type.Object({}, { additionalProperties: true });

/** A pattern SAMA's `user_edit` checks e-mails against: lowercase, TLD of 2–4 letters. */
const EMAIL = '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,4}$';

/** `user_edit` (§3.1): a password change needs `current_password`. */
export const UserEditRequest = Type.Object(
  {
    login: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    email: Type.Optional(Type.String({ maxLength: 255, pattern: EMAIL })),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 15 })),
    first_name: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    last_name: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    avatar_object: Type.Optional(ImageObject),
    new_password: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    current_password: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

/** `get_users_by_ids`: 1–100 user ids. */
export const GetUsersByIdsRequest = Type.Object({ ids: Type.Array(IdString, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });

/** `user_search`: substring of login or names; the caller is always excluded. */
export const UserSearchRequest = Type.Object(
  {
    keyword: Type.String({ maxLength: 255 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    updated_at: Type.Optional(Type.Object({ gt: Type.Optional(DateValue) }, { additionalProperties: false })),
    ignore_ids: Type.Optional(Type.Array(IdString, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

/** `user_send_otp` (no session needed): e-mails a password-reset code. */
export const UserSendOtpRequest = Type.Object(
  {
    organization_id: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 3, maxLength: 255 }),
    device_id: DeviceId,
  },
  { additionalProperties: false },
);

/** `user_reset_password` (no session needed): the code from `user_send_otp` and a new password. */
export const UserResetPasswordRequest = Type.Object(
  {
    organization_id: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 3, maxLength: 255 }),
    device_id: DeviceId,
    token: Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Number()]),
    new_password: Type.String({ minLength: 3, maxLength: 40 }),
  },
  { additionalProperties: false },
);
