import { createECDH, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { presignS3Url } from '../../files/s3-presign.js';
import { s3TargetOf } from '../../main-drivers.js';
import { schemaState } from '../../store/sql/migrations.js';
import { readSqliteSchemaVersions } from '../../store/sqlite/index.js';
import { checkWritableDir } from './config-checks.js';
import { describe, type Report } from './report.js';

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Compares the recorded schema versions with this code's. */
function reportSchema(report: Report, where: string, versions: readonly number[]): void {
  const state = schemaState(versions);
  if (state.unknown.length > 0) {
    report.fail('store', `${where} has schema version ${String(state.applied)}, newer than this Parley knows (${String(state.latest)}): it was migrated by a newer version; run that version`);
  } else if (versions.length === 0) {
    report.warn('store', `${where} has no Parley schema yet: it is created at the first start`);
  } else if (state.pending.length > 0) {
    report.warn('store', `${where} is at schema version ${String(state.applied)}; ${String(state.pending.length)} migration(s) up to ${String(state.latest)} are applied at the next start (${state.pending.map((p) => p.name).join('; ')})`);
  } else {
    report.ok('store', `${where}: schema version ${String(state.applied)} (current)`);
  }
}

/** Reaches the store without changing it and compares its schema with this code's. */
export async function checkStore(config: Config, report: Report, timeoutMs: number): Promise<void> {
  if (config.databaseUrl === undefined) {
    const where = `SQLite database ${join(config.dataDir, 'parley.db')}`;
    await report.guard('store', `${where} cannot be read`, () => {
      const versions = readSqliteSchemaVersions(config.dataDir);
      if (versions === undefined) report.warn('store', `${where} does not exist yet: it is created at the first start`);
      else reportSchema(report, where, versions);
      return Promise.resolve();
    });
    return;
  }
  const url = config.databaseUrl;
  await report.guard('store', `cannot reach PostgreSQL at ${redact(url)}`, async () => {
    const { readPostgresSchemaVersions } = await import('../../store/postgres/index.js');
    const { serverVersion, versions } = await readPostgresSchemaVersions(url, timeoutMs);
    reportSchema(report, `PostgreSQL ${serverVersion} at ${redact(url)}`, versions);
  });
}

/** PING and the server version, with no retries (REDIS_URL). */
export async function checkRedis(url: string, report: Report, timeoutMs: number): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // connect() only says "Connection is closed."; the cause (refused, timed out) comes as an event.
  let cause: unknown;
  client.on('error', (err) => {
    cause ??= err;
  });
  try {
    await client.connect();
    const pong = await client.ping();
    const info = await client.info('server');
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
    if (pong !== 'PONG') report.fail('redis', `${redact(url)} answered PING with ${JSON.stringify(pong)}`);
    else if (Number(version.split('.')[0]) < 6) report.warn('redis', `${redact(url)} answers, but Redis ${version} is older than 6, which Parley is not tested with`);
    else report.ok('redis', `${redact(url)} answers PING (Redis ${version})`);
  } catch (err) {
    report.fail('redis', `cannot reach Redis at ${redact(url)}: ${describe(cause ?? err)}`);
  } finally {
    client.disconnect();
  }
}

/** The local files directory, or the S3 bucket: HEAD, then PUT, GET and DELETE of a probe object. */
export async function checkStorage(config: Config, report: Report, timeoutMs: number): Promise<void> {
  if (config.storageDriver === 'local') {
    checkWritableDir(report, 'storage', join(config.dataDir, 'files'), 'uploaded files, STORAGE_DRIVER=local');
    return;
  }
  const target = s3TargetOf(config);
  const where = `bucket "${target.bucket}" at ${config.s3Endpoint ?? `AWS ${config.s3Region}`}`;
  const call = async (method: 'GET' | 'PUT' | 'HEAD' | 'DELETE', key: string, body?: Buffer): Promise<Response> => {
    const url = presignS3Url(target, { method, key, signedAt: Date.now(), expiresIn: 60, ...(body === undefined ? {} : { headers: { 'content-length': String(body.length) } }) });
    return fetch(url, { method, signal: AbortSignal.timeout(timeoutMs), ...(body === undefined ? {} : { body, headers: { 'content-length': String(body.length) } }) });
  };
  await report.guard('storage', `cannot reach the ${where}`, async () => {
    const head = await call('HEAD', '');
    if (head.status === 404) {
      if (config.s3CreateBucket) report.warn('storage', `the ${where} does not exist yet: it is created at the next start (S3_CREATE_BUCKET)`);
      else report.fail('storage', `the ${where} does not exist: create it, or set S3_CREATE_BUCKET=true`);
      return;
    }
    if (!head.ok) {
      report.fail('storage', `the ${where} answered HEAD with ${String(head.status)}${head.status === 403 ? ' (check S3_ACCESS_KEY, S3_SECRET_KEY and the bucket policy)' : ''}`);
      return;
    }
    const key = `parley-doctor-${randomBytes(8).toString('hex')}`;
    const probe = randomBytes(32);
    const put = await call('PUT', key, probe);
    await put.arrayBuffer();
    if (!put.ok) {
      report.fail('storage', `the ${where} refused to store a probe object: ${String(put.status)}`);
      return;
    }
    const got = await call('GET', key);
    const bytes = Buffer.from(await got.arrayBuffer());
    const del = await call('DELETE', key);
    await del.arrayBuffer();
    if (!got.ok || !bytes.equals(probe)) report.fail('storage', `the ${where} stored a probe object but did not give it back (${String(got.status)})`);
    else if (!del.ok && del.status !== 404) report.fail('storage', `the ${where} stores and serves objects but refused to delete one (${String(del.status)}): unattached files could not be removed`);
    else report.ok('storage', `the ${where} stores, serves and deletes objects`);
  });
}

/** A TCP connection to the URL's host and port: reachability only, nothing is sent. */
async function reachable(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer within ${String(timeoutMs)} ms`));
    });
    socket.once('error', reject);
  });
}

/** Reachability of an endpoint the operator configured explicitly (never the public defaults). */
async function checkEndpoint(report: Report, area: string, name: string, url: string, timeoutMs: number): Promise<void> {
  try {
    await reachable(url, timeoutMs);
    report.ok(area, `${name} ${url} accepts connections`);
  } catch (err) {
    report.fail(area, `${name} ${url} cannot be reached: ${describe(err)}`);
  }
}

/** base64url text → bytes, or undefined when it is not base64url. */
function base64url(text: string): Buffer | undefined {
  return /^[A-Za-z0-9_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64url') : undefined;
}

/** Web Push: key sizes, that the public key belongs to the private one, the subject, and what web-push accepts. */
async function checkWebPush(config: Config, report: Report): Promise<void> {
  const pub = config.webPushVapidPublicKey ?? '';
  const priv = config.webPushVapidPrivateKey ?? '';
  const subject = config.webPushVapidSubject ?? '';
  const pubBytes = base64url(pub);
  const privBytes = base64url(priv);
  const problems: string[] = [];
  if (pubBytes?.length !== 65 || pubBytes[0] !== 4) problems.push('WEB_PUSH_VAPID_PUBLIC_KEY is not a P-256 public key (65 bytes in base64url)');
  if (privBytes?.length !== 32) problems.push('WEB_PUSH_VAPID_PRIVATE_KEY is not a P-256 private key (32 bytes in base64url)');
  if (problems.length === 0 && pubBytes && privBytes) {
    try {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(privBytes);
      if (!ecdh.getPublicKey().equals(pubBytes)) problems.push('WEB_PUSH_VAPID_PUBLIC_KEY does not belong to WEB_PUSH_VAPID_PRIVATE_KEY: browsers subscribed with the public key would refuse the pushes');
    } catch (err) {
      problems.push(`WEB_PUSH_VAPID_PRIVATE_KEY is not a valid P-256 key: ${describe(err)}`);
    }
  }
  if (!/^(mailto:|https:\/\/)/.test(subject)) problems.push(`WEB_PUSH_VAPID_SUBJECT must be a mailto: or https: URL, got "${subject}"`);
  if (problems.length === 0) {
    try {
      const { WebPushSender } = await import('../../push/senders/web-push.js');
      new WebPushSender({ publicKey: pub, privateKey: priv, subject, ttlSeconds: config.webPushTtl, timeoutMs: config.pushSendTimeoutMs });
    } catch (err) {
      problems.push(`web-push refuses the VAPID settings: ${describe(err)}`);
    }
  }
  if (problems.length > 0) for (const p of problems) report.fail('web-push', p);
  else report.ok('web-push', 'the VAPID key pair is valid and matches; the subject is a contact URL');
}

/** APNs: the key file reads and parses as an ES256 key; ids look like Apple's; APNS_URL answers. */
async function checkApns(config: Config, report: Report, timeoutMs: number): Promise<void> {
  const file = config.apnsKeyFile ?? '';
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    report.fail('apns', `APNS_KEY_FILE ${file} cannot be read: ${describe(err)}`);
    return;
  }
  try {
    const { ApnsSender } = await import('../../push/senders/apns.js');
    await (await ApnsSender.create({ keyPem: pem, keyId: config.apnsKeyId ?? '', teamId: config.apnsTeamId ?? '', topic: config.apnsTopic ?? '', origin: config.apnsUrl ?? 'https://api.push.apple.com', timeoutMs: config.pushSendTimeoutMs })).close();
    report.ok('apns', `APNS_KEY_FILE ${file} holds a usable ES256 (P-256) signing key`);
  } catch (err) {
    report.fail('apns', `APNS_KEY_FILE ${file} is not an APNs signing key (a .p8 PKCS#8 P-256 key): ${describe(err)}`);
  }
  for (const [name, value] of [['APNS_KEY_ID', config.apnsKeyId], ['APNS_TEAM_ID', config.apnsTeamId]] as const) {
    if (!/^[A-Z0-9]{10}$/.test(value ?? '')) report.warn('apns', `${name} "${value ?? ''}" does not look like Apple's 10-character ids: APNs would refuse the provider token`);
  }
  if (config.apnsUrl !== undefined) await checkEndpoint(report, 'apns', 'APNS_URL', config.apnsUrl, timeoutMs);
}

/** FCM: the service account parses with a usable RS256 key and a project; explicitly set endpoints answer. */
async function checkFcm(config: Config, report: Report, timeoutMs: number): Promise<void> {
  const file = config.fcmServiceAccountFile ?? '';
  const { FcmSender, parseServiceAccount } = await import('../../push/senders/fcm.js');
  let account;
  try {
    account = parseServiceAccount(readFileSync(file, 'utf8'));
    await FcmSender.create({ account, projectId: 'check', tokenUrl: 'https://127.0.0.1/', apiOrigin: 'https://127.0.0.1', timeoutMs: config.pushSendTimeoutMs });
  } catch (err) {
    report.fail('fcm', `FCM_SERVICE_ACCOUNT_FILE ${file} is not a usable service account (JSON with client_email and an RSA private_key): ${describe(err)}`);
    return;
  }
  const project = config.fcmProjectId ?? account.project_id;
  if (project === undefined) report.fail('fcm', 'no Firebase project: set FCM_PROJECT_ID or use a service account with project_id');
  else report.ok('fcm', `the service account ${account.client_email} parses with a usable key (project ${project})`);
  if (config.fcmTokenUrl !== undefined) await checkEndpoint(report, 'fcm', 'FCM_TOKEN_URL', config.fcmTokenUrl, timeoutMs);
  if (config.fcmUrl.replace(/\/+$/, '') !== 'https://fcm.googleapis.com') await checkEndpoint(report, 'fcm', 'FCM_URL', config.fcmUrl, timeoutMs);
}

/**
 * The configured push senders, checked locally: keys parse and belong together. Nothing is
 * sent to a push service; only endpoints the operator set explicitly (APNS_URL, FCM_URL,
 * FCM_TOKEN_URL) are tried for a TCP connection.
 */
export async function checkPush(config: Config, report: Report, timeoutMs: number): Promise<void> {
  if (config.pushDriver === 'sama-queue') {
    report.info('push', `pushes go to SAMA's push daemon through Redis queue "${config.samaPushQueueName}" (see the redis check)`);
    return;
  }
  if (config.webPushVapidPublicKey !== undefined) await checkWebPush(config, report);
  if (config.apnsKeyFile !== undefined) await checkApns(config, report, timeoutMs);
  if (config.fcmServiceAccountFile !== undefined) await checkFcm(config, report, timeoutMs);
}
