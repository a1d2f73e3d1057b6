import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { RedisBus } from './bus/redis-bus.js';
import { RedisRegistry } from './bus/redis-registry.js';
import { RedisStatsStore } from './bus/redis-stats.js';
import { RedisThrottleStore } from './bus/redis-throttle.js';
import type { StatsStore } from './domain/stats-store.js';
import type { ThrottleStore } from './domain/throttle-store.js';
import { Redis } from 'ioredis';
import { ClusterSessions } from './transport/cluster-sessions.js';
import type { Metrics } from './transport/metrics.js';
import type { LocalSessions } from './transport/sessions.js';

/** The parts a node adds to itself when it joins a cluster (REDIS_URL with DATABASE_URL). */
export interface ClusterMembership {
  readonly sessions: ClusterSessions;
  /** Login-throttle state shared by every node. */
  readonly throttleStore: ThrottleStore;
  /** Server-stats counts and node figures shared by every node. */
  readonly statsStore: StatsStore;
  /** False while Redis cannot be reached; /readyz reports it. */
  healthy(): boolean;
  /** Leaves the cluster: other nodes forget this node's sessions at once. */
  close(): Promise<void>;
}

/**
 * Part of the composition root (main.ts): connects this node's bus and registry to Redis and
 * builds the cluster-wide session directory on top of `local`. Rejects, having closed what it
 * opened, when Redis cannot be reached at start.
 */
export async function joinCluster(config: Config, local: LocalSessions, metrics: Metrics, log: Logger): Promise<ClusterMembership> {
  const url = config.redisUrl ?? '';
  const nodeId = config.nodeId ?? '';
  let warned = false;
  const onError = (err: Error): void => {
    // ioredis reports every failed reconnect; one line per outage is enough.
    if (warned) return;
    warned = true;
    log.warn({ err }, 'Redis connection failed; reconnecting (live delivery to other nodes is paused, sends are still acknowledged)');
  };
  // The registry's lost-node notice needs the directory, which needs the registry.
  const late: { sessions?: ClusterSessions } = {};
  const onLost = (): void => {
    log.warn('the cluster registry had lost this node (Redis restarted?): writing its sessions again');
    late.sessions?.republish().catch((err: unknown) => log.warn({ err }, 'could not write sessions to the registry'));
  };
  const bus = await RedisBus.connect({ url, nodeId, observer: metrics.busObserver(), onError });
  let registry: RedisRegistry | undefined;
  // Commands fail fast while Redis is away (the throttle then lets attempts through; stats wait).
  const throttleRedis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, retryStrategy: (n) => Math.min(50 * n, 1000) });
  throttleRedis.on('error', onError);
  try {
    await throttleRedis.connect();
    registry = await RedisRegistry.connect({ url, nodeId, ttlMs: config.clusterNodeTtlMs, onError, onLost });
    const sessions = new ClusterSessions(local, bus, registry, log, {
      reconcileMs: config.clusterReconcileMs,
      nodeTtlMs: config.clusterNodeTtlMs,
      // Two seconds cover bus latency and the clock difference between nodes (NTP keeps it far
      // below); a conversation quiet for a minute is forgotten and learned again from the store.
      order: { gapWaitMs: config.clusterGapWaitMs, settleMs: 2000, idleMs: 60_000 },
    });
    late.sessions = sessions;
    await sessions.start();
    const reg = registry;
    return {
      sessions,
      throttleStore: new RedisThrottleStore(throttleRedis),
      statsStore: new RedisStatsStore(throttleRedis),
      healthy: () => {
        const ok = bus.healthy;
        if (ok) warned = false;
        return ok;
      },
      async close() {
        await sessions.close();
        await reg.close();
        await bus.close();
        await throttleRedis.quit().catch(() => throttleRedis.disconnect());
      },
    };
  } catch (err) {
    await registry?.close().catch(() => undefined);
    throttleRedis.disconnect();
    await bus.close();
    throw err;
  }
}
