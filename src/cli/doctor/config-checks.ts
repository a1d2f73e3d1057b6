import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isClustered, type Config } from '../../config/config.js';
import type { Report } from './report.js';

/** OWASP's minimum for argon2id memory, the default. */
const OWASP_MEMORY_KIB = 19456;
/** Below this an explicitly set secret is easy to guess (generated ones are 43 characters). */
const MIN_SECRET_CHARS = 32;

const SECRETS = [
  ['JWT_ACCESS_SECRET', 'jwtAccessSecret'],
  ['COOKIE_SECRET', 'cookieSecret'],
  ['FILE_URL_SECRET', 'fileUrlSecret'],
] as const;

function generatedSecrets(dataDir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A directory Parley writes in (creating it as the server would); a failure names it. */
export function checkWritableDir(report: Report, area: string, dir: string, purpose: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    report.ok(area, `${dir} is writable (${purpose})`);
  } catch (err) {
    report.fail(area, `${dir} is not writable, so ${purpose} cannot be stored there: ${(err as Error).message}`);
  }
}

/**
 * Settings that load but are risky or incomplete: where secrets come from, the admin key,
 * CORS, cookies, password hashing cost, push senders, public URL, data directory.
 */
export function checkSettings(config: Config, report: Report): void {
  const generated = generatedSecrets(config.dataDir);
  const fromFile = SECRETS.filter(([, key]) => generated?.[key] === config[key]).map(([name]) => name);
  const explicit = SECRETS.filter(([name]) => !fromFile.includes(name));
  if (fromFile.length > 0) {
    const file = join(config.dataDir, 'secrets.json');
    if (isClustered(config)) report.fail('secrets', `${fromFile.join(', ')} come from ${file}, generated on this node only: every node of a cluster needs the same values set`);
    else report.ok('secrets', `${fromFile.join(', ')} are generated and kept in ${file} (fine for one node; set them to share with other nodes)`);
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) report.warn('secrets', `${file} can be read by other users of this machine: chmod 600 it`);
  }
  for (const [name, key] of explicit) {
    if (config[key].length < MIN_SECRET_CHARS) report.warn('secrets', `${name} is set but only ${String(config[key].length)} characters long: use at least ${String(MIN_SECRET_CHARS)} random characters`);
    else report.ok('secrets', `${name} is set`);
  }
  const key = config.httpAdminApiKey;
  if (key === undefined) report.info('config', 'HTTP_ADMIN_API_KEY is not set: the admin HTTP API is off, and the admin CLI cannot ask a running server to close live sockets');
  else if (key.length < 16) report.warn('config', `HTTP_ADMIN_API_KEY is only ${String(key.length)} characters long: use at least 16 random characters`);
  if (config.corsOrigin.split(',').some((o) => o.trim() === '*')) {
    report.warn('config', "CORS_ORIGIN is '*': browsers refuse the credentialed POST /login of a web app (SAMA's web client among them); set it to the web app's origin, e.g. https://chat.example.com");
  }
  if (!config.cookieSecure) report.warn('config', 'COOKIE_SECURE is false: the refresh_token cookie is also sent over plain HTTP, where it can be read on the way');
  if (config.passwordHashMemoryKib < OWASP_MEMORY_KIB) report.warn('config', `PASSWORD_HASH_MEMORY_KIB is ${String(config.passwordHashMemoryKib)}, below OWASP's minimum ${String(OWASP_MEMORY_KIB)} for argon2id: stolen password hashes are cheaper to crack (fine for load tests only)`);
  if (config.databaseUrl === undefined && config.sqliteSynchronous === 'NORMAL') report.info('config', 'SQLITE_SYNCHRONOUS is NORMAL: acknowledged writes survive a crash of Parley but not a power loss');
  if (config.publicUrl === undefined) report.info('config', 'PUBLIC_URL is not set: file URLs name this machine as localhost, which only clients on this machine can reach');
  if (config.databaseUrl === undefined || config.storageDriver === 'local' || fromFile.length > 0) {
    checkWritableDir(report, 'config', config.dataDir, 'DATA_DIR: the embedded database, local files and generated secrets');
  }
  if (config.pushDriver === 'native') {
    const web = config.webPushVapidPublicKey !== undefined;
    const apns = config.apnsKeyFile !== undefined;
    const fcm = config.fcmServiceAccountFile !== undefined;
    if (!web && !apns && !fcm) report.warn('push', 'no push sender is configured (Web Push, APNs, FCM): pushes are kept in the outbox and never sent');
    else {
      const missing = [web ? undefined : 'web (Web Push)', apns ? undefined : 'ios (APNs)', fcm ? undefined : 'android (FCM)'].filter((p) => p !== undefined);
      if (missing.length > 0) report.info('push', `no push sender for ${missing.join(', ')}: subscriptions of those platforms get no pushes`);
    }
  }
  if (config.pushCaFile !== undefined) {
    try {
      readFileSync(config.pushCaFile, 'utf8');
    } catch (err) {
      report.fail('push', `PUSH_CA_FILE ${config.pushCaFile} cannot be read: ${(err as Error).message}`);
    }
  }
}
