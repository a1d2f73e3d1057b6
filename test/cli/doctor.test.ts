import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import webpush from 'web-push';
import { freePort } from '../helpers/free-port.js';
import { TestPostgres } from '../helpers/postgres.js';
import { TestRedis } from '../helpers/redis.js';
import { TestS3 } from '../helpers/s3.js';
import { freshEnv, runCli } from './helpers.js';

interface Check {
  area: string;
  status: 'ok' | 'info' | 'warn' | 'fail';
  message: string;
}

/** Runs doctor with --json; returns the exit code and the checks. */
async function doctor(env: Record<string, string>, ...flags: string[]): Promise<{ code: number; ok: boolean; checks: Check[]; find: (area: string, status: Check['status']) => Check[] }> {
  const run = await runCli(['doctor', '--json', '--timeout', '1000', ...flags], env);
  const doc = run.json() as { ok: boolean; checks: Check[] };
  return { code: run.code, ok: doc.ok, checks: doc.checks, find: (area, status) => doc.checks.filter((c) => c.area === area && c.status === status) };
}

/** Settings with nothing to warn about. */
const CALM = { CORS_ORIGIN: 'https://app.example', PUBLIC_URL: 'https://chat.example', HTTP_ADMIN_API_KEY: 'a-long-enough-admin-key', PASSWORD_HASH_MEMORY_KIB: '19456' };

describe('admin CLI: doctor', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });
  const env = (extra: Record<string, string> = {}): Record<string, string> => {
    const e = freshEnv({ ...CALM, ...extra });
    cleanups.push(e.cleanup);
    return e.env;
  };

  it('passes a healthy setup (exit 0, also with --strict) and reports risky settings as warnings', async () => {
    const vapid = webpush.generateVAPIDKeys();
    const e = env({ WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@example.com' });
    // A store the server has started on once.
    assert.equal((await runCli(['org', 'list'], e)).code, 0);
    const healthy = await doctor(e, '--strict');
    assert.equal(healthy.code, 0, JSON.stringify(healthy.checks, null, 1));
    assert.equal(healthy.ok, true);
    assert.match(healthy.find('store', 'ok')[0]?.message ?? '', /schema version \d+ \(current\)/);
    assert.equal(healthy.find('web-push', 'ok').length, 1);
    assert.equal(healthy.find('secrets', 'ok').length, 1, 'generated secrets in DATA_DIR');
    assert.match((await runCli(['doctor'], e)).stdout, /no problem found: 0 failed, 0 warning\(s\)/);

    const risky = await doctor(env({ CORS_ORIGIN: '*', COOKIE_SECURE: 'false', JWT_ACCESS_SECRET: 'short' }));
    assert.equal(risky.code, 0, 'warnings alone do not fail');
    assert.ok(risky.find('config', 'warn').some((c) => c.message.startsWith("CORS_ORIGIN is '*'")));
    assert.ok(risky.find('config', 'warn').some((c) => c.message.startsWith('COOKIE_SECURE is false')));
    assert.ok(risky.find('secrets', 'warn').some((c) => c.message.startsWith('JWT_ACCESS_SECRET is set but only 5 characters')));
    assert.ok(risky.find('store', 'warn').some((c) => /does not exist yet/.test(c.message)));
    assert.ok(risky.find('push', 'warn').some((c) => /no push sender is configured/.test(c.message)));
    assert.equal((await doctor(env({ CORS_ORIGIN: '*' }), '--strict')).code, 1, '--strict fails on warnings');
  });

  it('fails on settings that do not load, an unreachable Redis, bad Web Push keys and a database from a newer version', async () => {
    const bad = await doctor(env({ APP_PORT: 'many' }));
    assert.equal(bad.code, 1);
    assert.match(bad.find('config', 'fail')[0]?.message ?? '', /the settings do not load.*APP_PORT must be a whole number/);

    const port = await freePort();
    const redis = await doctor(env({ PUSH_DRIVER: 'sama-queue', REDIS_URL: `redis://127.0.0.1:${String(port)}` }));
    assert.equal(redis.code, 1);
    assert.match(redis.find('redis', 'fail')[0]?.message ?? '', new RegExp(`cannot reach Redis at redis://127.0.0.1:${String(port)}: .*ECONNREFUSED`));

    const [one, two] = [webpush.generateVAPIDKeys(), webpush.generateVAPIDKeys()];
    const mixed = await doctor(env({ WEB_PUSH_VAPID_PUBLIC_KEY: one.publicKey, WEB_PUSH_VAPID_PRIVATE_KEY: two.privateKey, WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@example.com' }));
    assert.equal(mixed.code, 1);
    assert.match(mixed.find('web-push', 'fail')[0]?.message ?? '', /does not belong to WEB_PUSH_VAPID_PRIVATE_KEY/);
    const garbage = await doctor(env({ WEB_PUSH_VAPID_PUBLIC_KEY: 'not-a-key', WEB_PUSH_VAPID_PRIVATE_KEY: one.privateKey, WEB_PUSH_VAPID_SUBJECT: 'ops@example.com' }));
    assert.deepEqual(garbage.find('web-push', 'fail').map((c) => c.message.split(' ')[0]), ['WEB_PUSH_VAPID_PUBLIC_KEY', 'WEB_PUSH_VAPID_SUBJECT']);

    const newer = env();
    assert.equal((await runCli(['org', 'list'], newer)).code, 0);
    const db = new BetterSqlite3(join(newer.DATA_DIR ?? '', 'parley.db'));
    db.prepare('insert into schema_migrations (version, name, applied_at) values (999, ?, 0)').run('from the future');
    db.close();
    const future = await doctor(newer);
    assert.equal(future.code, 1);
    assert.match(future.find('store', 'fail')[0]?.message ?? '', /schema version 999, newer than this Parley knows/);
  });

  it('checks APNs and FCM credentials locally and tries only endpoints set explicitly', async () => {
    const e = env();
    const dir = e.DATA_DIR ?? '';
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, 'apns.p8'), ec);
    writeFileSync(join(dir, 'garbage.p8'), 'not a key');
    writeFileSync(join(dir, 'fcm.json'), JSON.stringify({ project_id: 'demo', client_email: 'push@demo.iam.example', private_key: rsa }));
    const closed = `https://127.0.0.1:${String(await freePort())}`;
    const apns = { APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'TEAM123456', APNS_TOPIC: 'com.example.app' };
    const good = await doctor({ ...e, ...apns, APNS_KEY_FILE: join(dir, 'apns.p8'), FCM_SERVICE_ACCOUNT_FILE: join(dir, 'fcm.json') });
    assert.equal(good.find('apns', 'ok').length, 1, JSON.stringify(good.checks));
    assert.match(good.find('fcm', 'ok')[0]?.message ?? '', /push@demo\.iam\.example .*project demo/);
    assert.equal(good.find('apns', 'fail').length + good.find('fcm', 'fail').length, 0);
    const broken = await doctor({ ...e, ...apns, APNS_KEY_ID: 'short', APNS_KEY_FILE: join(dir, 'garbage.p8'), APNS_URL: closed, FCM_SERVICE_ACCOUNT_FILE: join(dir, 'apns.p8'), FCM_TOKEN_URL: closed });
    assert.equal(broken.code, 1);
    const apnsFails = broken.find('apns', 'fail').map((c) => c.message);
    assert.ok(apnsFails.some((m) => /is not an APNs signing key/.test(m)), apnsFails.join('\n'));
    assert.ok(apnsFails.some((m) => m.startsWith(`APNS_URL ${closed} cannot be reached`)), apnsFails.join('\n'));
    assert.ok(broken.find('apns', 'warn').some((c) => c.message.startsWith('APNS_KEY_ID "short"')));
    assert.match(broken.find('fcm', 'fail')[0]?.message ?? '', /is not a usable service account/);
  });

  it('checks an S3 bucket with a probe object, and a missing bucket', async () => {
    const s3 = await TestS3.start();
    cleanups.push(() => s3.stop());
    const withBucket = env(s3.env('doctor-bucket'));
    // The server creates the bucket at start (S3_CREATE_BUCKET); until then doctor warns.
    const before = await doctor(withBucket);
    assert.match(before.find('storage', 'warn')[0]?.message ?? '', /does not exist yet: it is created at the next start/);
    assert.equal((await runCli(['files', 'sweep'], withBucket)).code, 0, 'the CLI starts the storage as the server does');
    const ok = await doctor(withBucket);
    assert.match(ok.find('storage', 'ok')[0]?.message ?? '', /stores, serves and deletes objects/);
    const missing = await doctor(env({ ...s3.env('no-such-bucket'), S3_CREATE_BUCKET: 'false' }));
    assert.equal(missing.code, 1);
    assert.match(missing.find('storage', 'fail')[0]?.message ?? '', /does not exist: create it, or set S3_CREATE_BUCKET=true/);
    const wrongKey = await doctor(env({ ...s3.env('doctor-bucket'), S3_SECRET_KEY: 'wrong' }));
    assert.equal(wrongKey.code, 1);
  });

  const redisSkip = TestRedis.unavailable();
  it('reports the Redis version of a reachable server', { skip: redisSkip ?? false }, async () => {
    const redis = await TestRedis.start();
    cleanups.push(() => redis.stop());
    const r = await doctor(env({ PUSH_DRIVER: 'sama-queue', REDIS_URL: redis.url }));
    assert.match(r.find('redis', 'ok')[0]?.message ?? '', /answers PING \(Redis \d+\.\d+/);
  });

  const pgSkip = TestPostgres.unavailable();
  it('checks PostgreSQL without migrating it, and fails when it cannot be reached', { skip: pgSkip ?? false }, async () => {
    const pg = await TestPostgres.shared();
    const url = await pg.createDatabase();
    const fresh = await doctor(env({ DATABASE_URL: url }));
    assert.match(fresh.find('store', 'warn')[0]?.message ?? '', /^PostgreSQL \d+.* has no Parley schema yet/);
    const migrated = env({ DATABASE_URL: url });
    assert.equal((await runCli(['org', 'list'], migrated)).code, 0);
    assert.match((await doctor(migrated)).find('store', 'ok')[0]?.message ?? '', /\(current\)/);
    const down = await doctor(env({ DATABASE_URL: `postgres://nobody:secret@127.0.0.1:${String(await freePort())}/parley` }));
    assert.equal(down.code, 1);
    const msg = down.find('store', 'fail')[0]?.message ?? '';
    assert.match(msg, /cannot reach PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(msg, /secret/);
  });
});
