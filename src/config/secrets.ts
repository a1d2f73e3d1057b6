import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Secrets Parley generates when the operator sets none. */
export interface GeneratedSecrets {
  readonly jwtAccessSecret: string;
  readonly cookieSecret: string;
  readonly fileUrlSecret: string;
}

/**
 * Reads `<dataDir>/secrets.json`, creating it (mode 0600) with fresh random values on first use,
 * so a restarted node keeps accepting the tokens and cookies it issued. Several nodes must share
 * explicit secrets instead (JWT_ACCESS_SECRET, COOKIE_SECRET).
 */
export function loadOrCreateSecrets(dataDir: string): GeneratedSecrets {
  const file = join(dataDir, 'secrets.json');
  let existing: Partial<Record<keyof GeneratedSecrets, unknown>> | undefined;
  try {
    existing = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof GeneratedSecrets, unknown>>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fresh = (): string => randomBytes(32).toString('base64url');
  const keep = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  // A key added by a newer version is generated and appended; existing keys are never rotated.
  const secrets: GeneratedSecrets = {
    jwtAccessSecret: keep(existing?.jwtAccessSecret) ?? fresh(),
    cookieSecret: keep(existing?.cookieSecret) ?? fresh(),
    fileUrlSecret: keep(existing?.fileUrlSecret) ?? fresh(),
  };
  if (existing && (Object.keys(secrets) as (keyof GeneratedSecrets)[]).every((k) => existing[k] === secrets[k])) return secrets;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: existing ? 'w' : 'wx' });
  return secrets;
}
