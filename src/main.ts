#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { DeliveryService } from './domain/delivery.js';
import { ensureDefaultOrganization } from './domain/organizations.js';
import { Presence } from './domain/presence.js';
import { createPasswordHasher } from './domain/passwords.js';
import { FailureLimiter } from './domain/rate-limit.js';
import { TokenService } from './domain/tokens.js';
import type { HandlerDeps } from './handlers/define.js';
import { HANDLERS } from './handlers/index.js';
import type { Mailer } from './mail/mailer.js';
import { createSmtpMailer } from './mail/smtp.js';
import { cachedStore } from './store/cache/cached-store.js';
import { openPostgresStore } from './store/postgres/index.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { Store } from './store/store.js';
import { Dispatcher } from './transport/dispatch.js';
import { buildHttpApp } from './transport/http.js';
import { Metrics } from './transport/metrics.js';
import { adminActivityRoutes } from './transport/routes/admin-activity.js';
import { adminMessageRoutes } from './transport/routes/admin-messages.js';
import { adminOrganizationRoutes } from './transport/routes/admin-organization.js';
import { authRoutes } from './transport/routes/auth.js';
import { LocalSessions } from './transport/sessions.js';
import { attachWebSocket } from './transport/ws.js';

/** A running node. */
export interface ParleyNode {
  readonly port: number;
  readonly config: Config;
  readonly store: Store;
  /** Graceful stop: refuse new work, finish in-flight requests, close sockets, close the store. */
  close(): Promise<void>;
}

/** Opens the store the config selects: PostgreSQL for a postgres:// DATABASE_URL, else SQLite. */
async function openStore(config: Config, log: Logger): Promise<Store> {
  if (config.databaseUrl === undefined) return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
  return openPostgresStore({ url: config.databaseUrl, onIdleError: (err) => log.warn({ err }, 'idle PostgreSQL connection failed; it will be replaced') });
}

function createMailer(config: Config): Mailer | undefined {
  return config.smtpUrl === undefined ? undefined : createSmtpMailer(config.smtpUrl, config.mailFrom);
}

/** The composition root: wires every port to its implementation and starts listening. */
export async function startParley(config: Config, log: Logger = pino({ level: config.logLevel })): Promise<ParleyNode> {
  // One node owns every write, so reads of conversations, memberships, blocks and users are cached.
  const store = cachedStore(await openStore(config, log));
  await ensureDefaultOrganization(store.organizations, Date.now());
  const sessions = new LocalSessions();
  const metrics = new Metrics(() => sessions.size);
  metrics.trackPushOutbox(() => store.pushOutbox.count());
  const limiters = { perLogin: new FailureLimiter(config.loginAttemptsPerLogin, 60_000), perAddress: new FailureLimiter(config.loginAttemptsPerAddress, 60_000) };
  const presence = new Presence(store, sessions, sessions, log);
  sessions.listen(presence);
  const deps: HandlerDeps = {
    config,
    store,
    tokens: new TokenService(store.tokens, config.jwtAccessSecret, config.jwtAccessTokenExpiresIn, config.jwtRefreshTokenExpiresIn),
    passwords: createPasswordHasher({ memoryKib: config.passwordHashMemoryKib, passes: config.passwordHashPasses }),
    mailer: createMailer(config),
    limiters,
    sessions,
    presence,
    delivery: new DeliveryService(sessions, store.opLog, config.operationsLogExpiresIn * 1000, log),
    log,
  };
  const dispatcher = new Dispatcher(HANDLERS, deps, sessions, metrics, log);
  let ready = false;
  const app = await buildHttpApp({ config, deps, dispatcher, metrics, log, isReady: () => ready }, [adminOrganizationRoutes, authRoutes, adminMessageRoutes, adminActivityRoutes]);
  const ws = attachWebSocket(app.server, dispatcher, sessions, metrics, log, { maxFrameBytes: config.maxFrameBytes, heartbeatIntervalMs: config.heartbeatIntervalMs });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;

  // Housekeeping: expired tokens and op-log rows, old rate-limit windows.
  const sweeper = setInterval(() => {
    const now = Date.now();
    limiters.perLogin.sweep(now);
    limiters.perAddress.sweep(now);
    store.tokens.sweep(now).catch((err: unknown) => log.warn({ err }, 'token sweep failed'));
    store.opLog.sweep(now).catch((err: unknown) => log.warn({ err }, 'operations log sweep failed'));
  }, 60_000);
  sweeper.unref();

  ready = true;
  log.info({ port, store: store.dialect }, 'parley listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      clearInterval(sweeper);
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      await Promise.race([dispatcher.idle(), grace]);
      await ws.close();
      await app.close();
      await store.close();
      log.info('parley stopped');
    })();
    return closing;
  };
  return { port, config, store, close };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel });
  const node = await startParley(config, log);
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`parley: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
