import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes carried over from SAMA (`npm run admin -- import-sama`). SAMA stores a salt
 * and `encrypted_password`: SHA-512 as lowercase hex, applied 20 times, the first round over
 * password + salt (salt after the password), each later round over the previous round's hex text.
 * Parley keeps such a pair in the ordinary `password_hash` column as
 * `sama-sha512x20$<salt>$<hex>`, checks it at the user's next password login, then replaces it
 * with argon2id (see PasswordHasher.needsRehash). No argon2 encoding starts with this prefix.
 */
export const SAMA_HASH_PREFIX = 'sama-sha512x20$';

/** SAMA's round count. */
const ROUNDS = 20;
const HEX128 = /^[0-9a-f]{128}$/;

/** SAMA's digest of `password` with `salt`: 128 lowercase hex characters. */
export function samaDigest(password: string, salt: string): string {
  let text = password + salt;
  for (let i = 0; i < ROUNDS; i++) text = createHash('sha512').update(text, 'utf8').digest('hex');
  return text;
}

/**
 * The stored form of a SAMA salt and digest, or undefined when the digest is not 128 hex
 * characters (a row SAMA itself could never have matched). SAMA makes salts from base64 text,
 * which has no `$`; a salt that has one still round-trips, since the digest is split off last.
 */
export function encodeSamaHash(salt: string, digest: string): string | undefined {
  const hex = digest.toLowerCase();
  return HEX128.test(hex) ? `${SAMA_HASH_PREFIX}${salt}$${hex}` : undefined;
}

/** True when `encoded` holds a SAMA hash (see SAMA_HASH_PREFIX). */
export function isSamaHash(encoded: string): boolean {
  return encoded.startsWith(SAMA_HASH_PREFIX);
}

/**
 * True when `password` matches a stored SAMA hash; false for a wrong password or a malformed
 * value. The digests are compared in constant time.
 */
export function verifySamaHash(encoded: string, password: string): boolean {
  if (!isSamaHash(encoded)) return false;
  const body = encoded.slice(SAMA_HASH_PREFIX.length);
  const cut = body.lastIndexOf('$');
  if (cut < 0) return false;
  const expected = body.slice(cut + 1);
  if (!HEX128.test(expected)) return false;
  const actual = samaDigest(password, body.slice(0, cut));
  return timingSafeEqual(Buffer.from(actual, 'hex'), Buffer.from(expected, 'hex'));
}
