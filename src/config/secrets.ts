import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Secrets Parley generates when the operator sets none. */
export interface GeneratedSecrets {
  readonly jwtAccessSecret: string;
  readonly cookieSecret: string;
}

/**
 * Reads `<dataDir>/secrets.json`, creating it (mode 0600) with fresh random values on first use,
 * so a restarted node keeps accepting the tokens and cookies it issued. Several nodes must share
 * explicit secrets instead (JWT_ACCESS_SECRET, COOKIE_SECRET).
 */
export function loadOrCreateSecrets(dataDir: string): GeneratedSecrets {
  const file = join(dataDir, 'secrets.json');
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<GeneratedSecrets>;
    if (typeof parsed.jwtAccessSecret === 'string' && typeof parsed.cookieSecret === 'string') {
      return { jwtAccessSecret: parsed.jwtAccessSecret, cookieSecret: parsed.cookieSecret };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: GeneratedSecrets = {
    jwtAccessSecret: randomBytes(32).toString('base64url'),
    cookieSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return secrets;
}
