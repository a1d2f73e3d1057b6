import { hash, verify, Algorithm } from '@node-rs/argon2';
import { isSamaHash, verifySamaHash } from './legacy-passwords.js';

/**
 * Password hashing with argon2id (default: OWASP's recommended minimum, 19 MiB, 2 passes). Hashing runs
 * on libuv's thread pool, so it does not block the event loop.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `encoded`; never throws for a malformed hash. Besides argon2
   * encodings it accepts hashes imported from SAMA (domain/legacy-passwords.ts); those cost one
   * argon2 verification too, so a wrong password takes as long for an imported user as for any
   * other.
   */
  verify(encoded: string, password: string): Promise<boolean>;
  /**
   * True when `encoded` is not in the current scheme (an imported SAMA hash): after a successful
   * `verify`, the caller stores `hash(password)` in its place.
   */
  needsRehash(encoded: string): boolean;
  /**
   * Spends the same time as a real `verify` and returns false. Used when the login does not exist,
   * so response time does not reveal which logins exist.
   */
  verifyNobody(password: string): Promise<false>;
}

/** argon2id cost; the defaults are OWASP's recommended minimum. */
export interface HashCost {
  readonly memoryKib: number;
  readonly passes: number;
}

/**
 * Creates the argon2id hasher; the decoy hash is made once, lazily. Verification uses the cost
 * stored in each hash, so changing the cost keeps old passwords working.
 */
export function createPasswordHasher(cost: HashCost = { memoryKib: 19456, passes: 2 }): PasswordHasher {
  const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: cost.memoryKib, timeCost: cost.passes, parallelism: 1 } as const;
  let decoy: Promise<string> | undefined;
  const verifyNobody = async (password: string): Promise<false> => {
    decoy ??= hash('parley-decoy-password', OPTIONS);
    try {
      await verify(await decoy, password);
    } catch {
      // A decoy that fails to verify still cost the same time; the answer is "no" either way.
      return false;
    }
    return false;
  };
  return {
    hash: (password) => hash(password, OPTIONS),
    async verify(encoded, password) {
      if (isSamaHash(encoded)) {
        // SAMA's 20 SHA-512 rounds take microseconds: a failure spends the decoy's argon2 time,
        // a success the argon2 hash that replaces it (needsRehash).
        if (verifySamaHash(encoded, password)) return true;
        return verifyNobody(password);
      }
      try {
        return await verify(encoded, password);
      } catch {
        return false;
      }
    },
    needsRehash: (encoded) => isSamaHash(encoded),
    verifyNobody,
  };
}
