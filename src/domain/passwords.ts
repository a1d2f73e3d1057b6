import { hash, verify, Algorithm } from '@node-rs/argon2';

/**
 * Password hashing with argon2id (OWASP's recommended minimum: 19 MiB, 2 passes). Hashing runs
 * on libuv's thread pool, so it does not block the event loop.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `encoded`; never throws for a malformed hash. */
  verify(encoded: string, password: string): Promise<boolean>;
  /**
   * Spends the same time as a real `verify` and returns false. Used when the login does not exist,
   * so response time does not reveal which logins exist.
   */
  verifyNobody(password: string): Promise<false>;
}

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Creates the argon2id hasher; the decoy hash is made once, lazily. */
export function createPasswordHasher(): PasswordHasher {
  let decoy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, OPTIONS),
    async verify(encoded, password) {
      try {
        return await verify(encoded, password);
      } catch {
        return false;
      }
    },
    async verifyNobody(password) {
      decoy ??= hash('parley-decoy-password', OPTIONS);
      try {
        await verify(await decoy, password);
      } catch {
        // A decoy that fails to verify still cost the same time; the answer is "no" either way.
        return false;
      }
      return false;
    },
  };
}
