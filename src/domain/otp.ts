import { randomInt, timingSafeEqual } from 'node:crypto';
import type { TokenStore, UserRecord } from '../store/store.js';
import { tokenHash } from './tokens.js';

/**
 * Password-reset codes: six random digits, stored only as a hash in the token table as type
 * `otp` for (user, device), one live code per device, expiring after `ttlSec`.
 */
export async function issueResetCode(store: TokenStore, user: UserRecord, deviceId: string, now: number, ttlSec: number): Promise<string> {
  const code = String(randomInt(100000, 1000000));
  await store.put({ organization_id: user.organization_id, user_id: user._id, device_id: deviceId, type: 'otp', token_hash: tokenHash(code), expires_at: now + ttlSec * 1000, created_at: now });
  return code;
}

/** True when `code` (string or number, as clients send it) is the live code of (user, device). */
export async function checkResetCode(store: TokenStore, user: UserRecord, deviceId: string, code: string | number, now: number): Promise<boolean> {
  const row = await store.forDevice(user._id, deviceId, 'otp', now);
  if (!row) return false;
  const given = Buffer.from(tokenHash(String(code).trim()), 'hex');
  const expected = Buffer.from(row.token_hash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
