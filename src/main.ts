#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino, { type Logger } from 'pino';
import { availableParallelism } from 'node:os';
import { ConfigError, aiProvider, isClustered, loadConfig, workerCount, type Config } from './config/config.js';
import type { TextGenerator } from './ai/provider.js';
import { ChatAssistant } from './domain/assistant.js';
import { DeliveryService } from './domain/delivery.js';
import { DataExports, exportUrlKey } from './domain/exports.js';
import { DeliveryRecovery } from './domain/delivery-recovery.js';
import { FileService } from './domain/files.js';
import { ensureDefaultOrganization } from './domain/organizations.js';
import { Presence } from './domain/presence.js';
import { RetentionSweeper } from './domain/retention.js';
import { createPasswordHasher } from './domain/passwords.js';
import { LoginThrottle } from './domain/login-throttle.js';
import { MemoryThrottleStore } from './domain/throttle-store.js';
import { ServerStats } from './domain/server-stats.js';
import { MemoryStatsStore } from './domain/stats-store.js';
import { TokenService } from './domain/tokens.js';
import { LocalObjectStorage } from './files/local-storage.js';
import type { HandlerDeps } from './handlers/define.js';
import { HANDLERS } from './handlers/index.js';
import type { Mailer } from './mail/mailer.js';
import type { PushSender } from './push/sender.js';
import { PushWorker } from './push/worker.js';
import { WorkerSandbox } from './sandbox/worker-pool.js';
import { cachedStore } from './store/cache/cached-store.js';
import type { Store } from './store/store.js';
import { TrustedProxies } from './transport/client-address.js';
import { Dispatcher } from './transport/dispatch.js';
import { buildHttpApp } from './transport/http.js';
import { Metrics } from './transport/metrics.js';
import { adminActivityRoutes } from './transport/routes/admin-activity.js';
import { adminConsolePushRoutes } from './transport/routes/admin-console-push.js';
import { adminConsoleUserRoutes } from './transport/routes/admin-console-users.js';
import { adminOverviewRoutes } from './transport/routes/admin-overview.js';
import { consoleStaticRoutes } from './transport/routes/console-static.js';
import { adminMessageRoutes } from './transport/routes/admin-messages.js';
import { adminOrganizationRoutes } from './transport/routes/admin-organization.js';
import { adminRetentionRoutes } from './transport/routes/admin-retention.js';
import { privacyRoutes } from './transport/routes/privacy.js';
import { adminSessionRoutes } from './transport/routes/admin-sessions.js';
import { adminStatsRoutes } from './transport/routes/admin-stats.js';
import { authRoutes } from './transport/routes/auth.js';
import { localFileRoutes } from './transport/routes/files.js';
import { LocalSessions } from './transport/sessions.js';
import { joinCluster, type ClusterMembership } from './main-cluster.js';
import { createStorage, openStore } from './main-drivers.js';
import { createScheduledDispatcher, scheduledSender } from './main-scheduled.js';
import type { ScheduledDispatcher } from './domain/scheduled-dispatcher.js';
import { isWorker, runWorkers } from './main-workers.js';
import { attachWebSocket } from './transport/ws.js';

/** A running node. */
export interface ParleyNode {
  readonly port: number;
  readonly config: Config;
  readonly store: Store;
  /** Graceful stop: refuse new work, finish in-flight requests, close sockets, close the store. */
  close(): Promise<void>;
}

async function createMailer(config: Config): Promise<Mailer | undefined> {
  if (config.smtpUrl === undefined) return undefined;
  const { createSmtpMailer } = await import('./mail/smtp.js');
  return createSmtpMailer(config.smtpUrl, config.mailFrom);
}

/**
 * The push senders the config selects (PUSH_DRIVER): SAMA's daemon queue, or each configured
 * native service. Logs which platforms will get no pushes.
 */
async function createPushSenders(config: Config, log: Logger): Promise<PushSender[]> {
  const ca = config.pushCaFile === undefined ? undefined : readFileSync(config.pushCaFile, 'utf8');
  const net = { timeoutMs: config.pushSendTimeoutMs, ...(ca === undefined ? {} : { ca }) };
  const senders: PushSender[] = [];
  switch (config.pushDriver) {
    case 'sama-queue': {
      // loadConfig guarantees REDIS_URL with this driver.
      const { SamaQueueSender } = await import('./push/senders/sama-queue.js');
      senders.push(new SamaQueueSender({ redisUrl: config.redisUrl ?? '', queueName: config.samaPushQueueName, timeoutMs: config.pushSendTimeoutMs, attempts: config.pushMaxAttempts, backoffMs: config.pushRetryBaseMs, onError: (err) => log.warn({ err }, 'push queue Redis connection failed; reconnecting') }));
      break;
    }
    case 'native':
      if (config.webPushVapidPublicKey !== undefined && config.webPushVapidPrivateKey !== undefined && config.webPushVapidSubject !== undefined) {
        const { WebPushSender } = await import('./push/senders/web-push.js');
        senders.push(new WebPushSender({ publicKey: config.webPushVapidPublicKey, privateKey: config.webPushVapidPrivateKey, subject: config.webPushVapidSubject, ttlSeconds: config.webPushTtl, ...net }));
      }
      if (config.apnsKeyFile !== undefined && config.apnsKeyId !== undefined && config.apnsTeamId !== undefined && config.apnsTopic !== undefined) {
        const { APNS_ORIGINS, ApnsSender } = await import('./push/senders/apns.js');
        const origin = config.apnsUrl ?? APNS_ORIGINS[config.apnsEnvironment];
        senders.push(await ApnsSender.create({ keyPem: readFileSync(config.apnsKeyFile, 'utf8'), keyId: config.apnsKeyId, teamId: config.apnsTeamId, topic: config.apnsTopic, origin, ...net }));
      }
      if (config.fcmServiceAccountFile !== undefined) {
        const { FcmSender, parseServiceAccount } = await import('./push/senders/fcm.js');
        const account = parseServiceAccount(readFileSync(config.fcmServiceAccountFile, 'utf8'));
        const projectId = config.fcmProjectId ?? account.project_id;
        if (projectId === undefined) throw new ConfigError('FCM needs FCM_PROJECT_ID or a project_id in the service account');
        const tokenUrl = config.fcmTokenUrl ?? account.token_uri ?? 'https://oauth2.googleapis.com/token';
        senders.push(await FcmSender.create({ account, projectId, tokenUrl, apiOrigin: config.fcmUrl.replace(/\/+$/, ''), ...net }));
      }
      break;
  }
  const served = new Set(senders.flatMap((s) => s.platforms));
  if (senders.length === 0) log.warn('no push sender is configured: pushes are kept in the outbox and not sent (see PUSH_DRIVER and the Web Push, APNs and FCM settings)');
  else {
    const unserved = (['web', 'ios', 'android'] as const).filter((p) => !served.has(p));
    if (unserved.length > 0) log.warn({ platforms: unserved }, 'no push sender for these platforms: their subscriptions get no pushes');
  }
  return senders;
}

/** The AI provider the config selects (AI_BASE_URL, else GOOGLE_GENERATIVE_AI_API_KEY), or none. */
async function createTextGenerator(config: Config): Promise<TextGenerator | undefined> {
  switch (aiProvider(config)) {
    case 'openai': {
      const { OpenAiCompatibleGenerator } = await import('./ai/openai-compatible.js');
      return new OpenAiCompatibleGenerator({ baseUrl: config.aiBaseUrl ?? '', apiKey: config.aiApiKey, model: config.aiModel ?? '', timeoutMs: config.aiTimeoutMs });
    }
    case 'gemini': {
      const { GeminiGenerator } = await import('./ai/gemini.js');
      return new GeminiGenerator({ baseUrl: config.googleAiBaseUrl, apiKey: config.googleAiApiKey ?? '', model: config.googleAiModel, timeoutMs: config.aiTimeoutMs });
    }
    case 'none':
      return undefined;
  }
}

/** A host as it goes into a URL: IPv6 literals in brackets. */
function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The composition root: wires every port to its implementation and starts listening. */
export async function startParley(config: Config, log: Logger = pino({ level: config.logLevel })): Promise<ParleyNode> {
  const startedAt = Date.now();
  // Push credentials are checked before anything is opened: a bad key stops start-up cleanly.
  const pushSenders = await createPushSenders(config, log);
  const clustered = isClustered(config);
  // A single node owns every write, so reads of conversations, memberships, blocks and users are
  // cached. In a cluster another node may change them at any time: every read goes to PostgreSQL.
  const rawStore = await openStore(config, log);
  const cached = clustered ? undefined : cachedStore(rawStore);
  const store = cached ?? rawStore;
  await ensureDefaultOrganization(store.organizations, Date.now());
  const sessions = new LocalSessions();
  const metrics = new Metrics(() => sessions.size);
  metrics.nameNode(config.nodeId ?? '');
  // Cluster mode: sessions, presence and deliveries reach every node through Redis.
  let cluster: ClusterMembership | undefined;
  try {
    cluster = clustered ? await joinCluster(config, sessions, metrics, log) : undefined;
  } catch (err) {
    await store.close();
    throw err;
  }
  const directory = cluster?.sessions ?? sessions;
  metrics.trackPushOutbox(() => store.pushOutbox.count());
  const throttleStore = cluster?.throttleStore ?? new MemoryThrottleStore();
  const limiters = new LoginThrottle(
    {
      perPair: config.loginAttemptsPerLogin,
      perAddress: config.loginAttemptsPerAddress,
      addressWindowMs: 60_000,
      guardThreshold: config.loginGuardThreshold,
      guardIntervalMs: config.loginGuardIntervalMs,
      windowMs: config.loginRateLimitWindowS * 1000,
      knownTtlMs: config.jwtRefreshTokenExpiresIn * 1000,
    },
    throttleStore,
    { limited: (reason) => metrics.loginsThrottled.inc({ reason }), storeFailed: (err) => log.warn({ err }, 'login throttle state unreachable; attempt let through to the password check') },
  );
  const generator = await createTextGenerator(config);
  const presence = new Presence(store, directory, directory, log);
  if (cluster) cluster.sessions.listen({ online: (s) => presence.online(s), offline: (s, t) => presence.offlineElsewhere(s, t), ended: (s, t) => presence.recordEnded(s, t) });
  else sessions.listen(presence);
  let listeningPort = config.port;
  const anyAddress = config.host === '0.0.0.0' || config.host === '::';
  // Without PUBLIC_URL, file URLs name this machine as `localhost` (what the README shows, and a
  // secure context for browsers); any client on another machine needs PUBLIC_URL set.
  const publicBaseUrl = (): string => config.publicUrl?.replace(/\/+$/, '') ?? `http://${anyAddress ? 'localhost' : hostForUrl(config.host)}:${String(listeningPort)}`;
  const storage = createStorage(config, store, publicBaseUrl);
  await storage.start();
  const files = new FileService(store.files, storage, {
    maxSize: config.fileMaxSize,
    maxRequestSize: config.fileMaxRequestSize,
    allowedTypes: config.fileAllowedContentTypes.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean),
    unattachedMs: config.fileUnattachedExpiresIn * 1000,
  }, log);
  // Conversation handlers run in worker threads, started on first use (none without handlers).
  const sandbox = new WorkerSandbox({
    size: config.handlerThreads,
    limits: {
      timeoutMs: config.handlerTimeoutMs,
      memoryBytes: config.handlerMemoryBytes,
      outputBytes: config.handlerOutputBytes,
      fetchTimeoutMs: config.handlerFetchTimeoutMs,
      fetchMaxBytes: config.handlerFetchMaxBytes,
      fetchMaxCalls: config.handlerFetchMaxCalls,
      fetchAllow: config.handlerFetchAllow,
    },
    onThreadLost: (reason) => log.warn({ reason }, 'conversation handler thread replaced'),
  });
  const scheduling: { dispatcher?: ScheduledDispatcher } = {};
  const delivery = new DeliveryService(directory, store.opLog, config.operationsLogExpiresIn * 1000, log, store.pushOutbox);
  const exports = new DataExports(store, storage, delivery, log, {
    ttlMs: config.dataExportExpiresIn * 1000,
    minIntervalMs: config.dataExportMinInterval * 1000,
    leaseMs: 10 * 60_000,
    workDir: join(config.dataDir, 'exports'),
    urlKey: exportUrlKey(config.jwtAccessSecret),
    baseUrl: publicBaseUrl,
  });
  const deps: HandlerDeps = {
    config,
    store,
    tokens: new TokenService(store.tokens, config.jwtAccessSecret, config.jwtAccessTokenExpiresIn, config.jwtRefreshTokenExpiresIn),
    passwords: createPasswordHasher({ memoryKib: config.passwordHashMemoryKib, passes: config.passwordHashPasses }),
    mailer: await createMailer(config),
    limiters,
    sessions: directory,
    presence,
    delivery,
    files,
    storage,
    exports,
    assistant: new ChatAssistant(store, generator, throttleStore, { maxInputChars: config.aiMaxInputChars, perMinute: config.aiRateLimitPerMinute }, log, (feature, outcome) => metrics.aiRequests.inc({ feature, outcome })),
    sandbox,
    // The dispatcher needs the request dispatcher, made below from these deps.
    scheduler: { wake: (sendAt) => scheduling.dispatcher?.wake(sendAt) },
    log,
  };
  if (cluster) {
    const clusterSessions = cluster.sessions;
    clusterSessions.attachRecovery(new DeliveryRecovery(store, files, config.operationsLogExpiresIn * 1000, log));
    metrics.trackGapFills(() => clusterSessions.filledFromStore);
  }
  // The WebSocket side is attached after the HTTP app, which needs the stats first.
  const late: { ws?: ReturnType<typeof attachWebSocket> } = {};
  const stats = new ServerStats(
    cluster?.statsStore ?? new MemoryStatsStore(),
    { connections: () => late.ws?.connectionCount ?? 0, onlineUsers: () => (cluster ? cluster.sessions.onlineUserCount() : sessions.onlineUserCount()) },
    { nodeId: config.nodeId ?? '', startedAt, flushMs: 1000, nodeTtlMs: Math.max(3000, config.clusterNodeTtlMs) },
    log,
  );
  const dispatcher = new Dispatcher(HANDLERS, deps, sessions, metrics, log, (kind, now) => stats.handled(kind, now));
  // Scheduled messages go out through the same handler and dispatcher as live ones; every node
  // runs this, the store's lease keeps each to one node at a time.
  const scheduled = createScheduledDispatcher(config, store, scheduledSender(dispatcher, deps), metrics, log);
  scheduling.dispatcher = scheduled;
  if (config.corsOrigin.split(',').some((o) => o.trim() === '*')) {
    log.warn("CORS_ORIGIN is '*': browsers refuse the credentialed POST /login of a web app (SAMA's web client among them); set CORS_ORIGIN to the web app's origin, e.g. http://localhost:3000 (README: Using SAMA's web client)");
  }
  let ready = false;
  const proxies = new TrustedProxies(config.trustedProxies);
  const app = await buildHttpApp({ config, deps, dispatcher, metrics, log, proxies, isReady: () => ready, busHealthy: cluster ? () => cluster.healthy() : undefined }, [
    adminOrganizationRoutes,
    authRoutes,
    adminMessageRoutes,
    adminActivityRoutes,
    adminStatsRoutes(stats),
    adminRetentionRoutes,
    privacyRoutes(exports, storage, sessions),
    adminSessionRoutes(sessions, () => cached?.forget()),
    adminConsoleUserRoutes({ sessions, forgetCachedReads: () => cached?.forget(), storage }),
    adminConsolePushRoutes,
    adminOverviewRoutes(stats),
    // The web console, built by Vite into dist/console (src/main.ts and dist/main.js are both one
    // level below the repository root).
    consoleStaticRoutes(fileURLToPath(new URL('../dist/console', import.meta.url))),
    ...(storage instanceof LocalObjectStorage ? [localFileRoutes(storage)] : []),
  ]);
  const ws = attachWebSocket(app.server, dispatcher, sessions, metrics, log, {
    maxFrameBytes: config.maxFrameBytes,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    watchdogPingIntervalMs: config.watchdogPingIntervalMs,
    maxInFlight: config.wsMaxInFlight,
    outputBudgetBytes: config.wsOutputBudgetBytes,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    authTimeoutMs: config.wsAuthTimeoutMs,
    maxConnections: config.wsMaxConnections,
    maxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
    proxies,
  });
  late.ws = ws;
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  listeningPort = port;

  // Housekeeping: expired tokens, op-log rows, key bundles and encrypted messages, old
  // rate-limit windows. Expiry is therefore up to a minute late.
  const sweeper = setInterval(() => {
    const now = Date.now();
    if (throttleStore instanceof MemoryThrottleStore) throttleStore.sweep(now);
    store.tokens.sweep(now).catch((err: unknown) => log.warn({ err }, 'token sweep failed'));
    store.opLog.sweep(now).catch((err: unknown) => log.warn({ err }, 'operations log sweep failed'));
    store.encryptedDevices.sweep(now).catch((err: unknown) => log.warn({ err }, 'encryption key bundle sweep failed'));
    store.encryptedInbox.sweep(now, now - config.encryptionMessageExpiredIn * 1000).catch((err: unknown) => log.warn({ err }, 'encrypted message sweep failed'));
  }, 60_000);
  sweeper.unref();
  let cleaning = false;
  const fileCleaner = setInterval(() => {
    if (cleaning) return;
    cleaning = true;
    void files
      .cleanup(Date.now())
      .catch((err: unknown) => log.warn({ err }, 'file cleanup failed'))
      .finally(() => {
        cleaning = false;
      });
  }, config.fileCleanupIntervalMs);
  fileCleaner.unref();
  const retention = new RetentionSweeper(store, storage, deps.delivery, log, { batch: config.retentionSweepBatch, maxBatches: 20 });
  let retentionRunning: Promise<void> | undefined;
  const retentionTimer = setInterval(() => {
    retentionRunning ??= retention
      .sweep(Date.now())
      .then(() => undefined, (err: unknown) => log.warn({ err }, 'retention sweep failed'))
      .finally(() => {
        retentionRunning = undefined;
      });
  }, config.retentionSweepIntervalMs);
  retentionTimer.unref();
  // Export jobs: built one at a time per node (claimed through the store, so once per cluster).
  let exportsRunning: Promise<void> | undefined;
  const exportTimer = setInterval(() => {
    exportsRunning ??= (async () => {
      await exports.expire(Date.now());
      let jobs = 0;
      while (jobs < 10 && (await exports.runOnce(Date.now()))) jobs += 1;
    })()
      .catch((err: unknown) => log.warn({ err }, 'data export run failed'))
      .finally(() => {
        exportsRunning = undefined;
      });
  }, config.dataExportPollIntervalMs);
  exportTimer.unref();

  // Pushes leave the outbox in the background; the message path only writes rows.
  const pushWorker = pushSenders.length === 0 ? undefined : new PushWorker(store.pushOutbox, store.pushSubscriptions, pushSenders, {
    batchSize: config.pushBatchSize,
    pollIntervalMs: config.pushPollIntervalMs,
    // A row's sends run in parallel; FCM may first fetch a token, so two deadlines back to back, and margin.
    leaseMs: 4 * config.pushSendTimeoutMs,
    maxAttempts: config.pushMaxAttempts,
    retryBaseMs: config.pushRetryBaseMs,
    retryMaxMs: config.pushRetryMaxMs,
  }, (platform, result) => metrics.pushSent.inc({ platform, result }), log);
  pushWorker?.start();
  scheduled.start();
  stats.start();

  ready = true;
  log.info({ port, node: config.nodeId, cluster: clustered, store: store.dialect, files: storage.driver, push: pushSenders.map((s) => s.name), ai: generator?.name ?? 'extractive summaries only' }, 'parley listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      clearInterval(sweeper);
      clearInterval(fileCleaner);
      clearInterval(retentionTimer);
      clearInterval(exportTimer);
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      // A scheduled send still running past the grace is tried again (after its lease) by a node.
      await Promise.race([Promise.all([scheduled.stop(), dispatcher.idle()]), grace]);
      // A sweep under way finishes while the bus and the store are still open.
      await retentionRunning;
      await exportsRunning;
      await ws.close();
      await stats.close().catch((err: unknown) => log.warn({ err }, 'server stats could not be written at shutdown'));
      await cluster?.close().catch((err: unknown) => log.warn({ err }, 'leaving the cluster failed; other nodes will notice when the heartbeat lapses'));
      await app.close();
      // Sockets closed above record their users' last activity: let those writes land.
      await presence.idle();
      await pushWorker?.stop();
      await sandbox.close();
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
  const workers = workerCount(config, availableParallelism());
  if (workers > 0 && !isWorker()) {
    runWorkers(config, workers, log);
    return;
  }
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
