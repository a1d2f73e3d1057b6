import { ConfigError, isClustered, loadConfig, type Config } from '../../config/config.js';
import type { StandaloneCommand } from '../command.js';
import { checkSettings } from '../doctor/config-checks.js';
import { Report, type CheckStatus } from '../doctor/report.js';
import { checkPush, checkRedis, checkStorage, checkStore } from '../doctor/service-checks.js';

const LABEL: Readonly<Record<CheckStatus, string>> = { ok: ' ok ', info: 'info', warn: 'WARN', fail: 'FAIL' };

/**
 * `admin doctor`: loads the configuration as the server would and checks what it names — the
 * store (reached, schema current; nothing is migrated), Redis, file storage, push credentials —
 * with local checks and short timeouts. Exit code 1 when something is wrong (with --strict also
 * for warnings).
 */
export const DOCTOR: StandaloneCommand = {
  kind: 'standalone',
  path: ['doctor'],
  summary: 'check the configuration and the services it names',
  usage: '[--strict] [--timeout <ms>]',
  details: [
    'Checks: the settings load; where secrets come from; risky settings (CORS_ORIGIN=*, short',
    'secrets, COOKIE_SECURE=false, weak password hashing); the store answers and its schema is',
    'current (nothing is changed); Redis answers PING (REDIS_URL); the files directory is writable',
    'or the S3 bucket stores, serves and deletes a probe object; push keys parse and belong together',
    '(Web Push VAPID pair, APNs .p8 key, FCM service account). No push is sent; only push endpoints',
    'you set yourself (APNS_URL, FCM_URL, FCM_TOKEN_URL) are tried for a connection.',
    'Exit code 1 when a check fails (with --strict also on warnings).',
  ].join('\n'),
  flags: {
    strict: { type: 'boolean', help: 'also fail on warnings' },
    timeout: { type: 'int', value: '<ms>', help: 'per network check (default 3000)' },
  },
  async run(args, io) {
    const report = new Report();
    const timeoutMs = Math.max(100, args.int('timeout', 3000));
    let config: Config | undefined;
    try {
      config = loadConfig(io.env);
      report.ok('config', `the settings load (${config.databaseUrl === undefined ? 'embedded SQLite' : 'PostgreSQL'} store, ${config.storageDriver} files, push driver ${config.pushDriver}${isClustered(config) ? ', cluster mode' : ''})`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      report.fail('config', `the settings do not load, so the server would not start: ${err.message}`);
    }
    if (config) {
      checkSettings(config, report);
      await checkStore(config, report, timeoutMs);
      if (config.redisUrl !== undefined) await checkRedis(config.redisUrl, report, timeoutMs);
      await checkStorage(config, report, timeoutMs);
      await checkPush(config, report, timeoutMs);
    }
    const failed = report.count('fail') > 0 || (args.bool('strict') && report.count('warn') > 0);
    const summary = `${String(report.count('fail'))} failed, ${String(report.count('warn'))} warning(s), ${String(report.count('ok'))} ok`;
    const text = [...report.results.map((r) => `[${LABEL[r.status]}] ${r.area}: ${r.message}`), '', failed ? `something is wrong: ${summary}` : `no problem found: ${summary}`].join('\n');
    return { json: { ok: !failed, checks: report.results }, text, exitCode: failed ? 1 : 0 };
  },
};
