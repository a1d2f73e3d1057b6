import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { MemoryBusHub } from '../src/bus/memory-bus.js';
import { RedisRegistry } from '../src/bus/redis-registry.js';
import { ClusterSessions } from '../src/transport/cluster-sessions.js';
import { LocalSessions } from '../src/transport/sessions.js';
import { TestRedis } from '../test/helpers/redis.js';
import { procStats } from './lib/proc-stats.js';

/**
 * `npm run bench -- registry [--connections N] [--nodes K]`: what one node's reconcile costs
 * Redis and the node when the cluster holds N devices (default 100,000) on K nodes (default 6),
 * each node holding N/K. Compares the whole read every reconcile used to make (`snapshot` and
 * `liveNodes`) with `refresh`, which reads only the changes since the last round: with nothing
 * changed, and with 1 % of the devices signing out and in again between rounds. Then the whole
 * reconcile of the cluster layer (`ClusterSessions`: the read plus the check of its view of the
 * other nodes' devices), the same two ways.
 *
 * Besides the average cost, each row reports the worst stall a round caused: the longest turn of
 * this process's event loop (a node serving traffic answers nobody meanwhile) and Redis's
 * longest single command (every other client of that Redis, the bus included, waits meanwhile).
 */
export interface RegistryResult {
  devices: number;
  nodes: number;
  rounds: number;
  /** Seconds to register every device (one script call each, 64 in flight per node). */
  fillSec: number;
  wholeRead: RoundCost;
  refreshFirst: RoundCost;
  refreshIdle: RoundCost;
  refreshChurn: RoundCost & { changesPerRound: number };
  /** A whole reconcile of the cluster layer: its first (every node read whole), then rounds as above. */
  reconcileFirst: RoundCost;
  reconcileIdle: RoundCost;
  reconcileChurn: RoundCost;
  /** Reaping one dead node (its heartbeat lapsed) with its `devices / nodes` entries. */
  reap: RoundCost;
  /** One node writing its `devices / nodes` entries again (as after Redis lost them). */
  republish: RoundCost;
  /** Share of Redis's one core that K nodes reconciling every 2 s would take, per mode. */
  redisCoreShareAt2s: { wholeRead: number; refreshIdle: number; refreshChurn: number };
}

export interface RoundCost {
  /** Wall time of one round, at the node (ms). */
  ms: number;
  /** redis-server CPU per round (ms; from /proc, 10 ms ticks, so averaged over the rounds). */
  redisCpuMs: number;
  /** This process's CPU per round: the read and its parsing (ms). */
  nodeCpuMs: number;
  /** Entries the round returned (whole read), changed entries it reported (refresh), or users online in the view (reconcile). */
  entries: number;
  /**
   * The longest this process's event loop went without running a 1 ms timer during a round, over
   * all rounds (ms): the longest single turn, plus up to about 1 ms.
   */
  longestTurnMs: number;
  /**
   * Redis's longest single command during a round, over all rounds (ms; from SLOWLOG, which logs
   * every command here; it times the command's execution, not the writing of its reply).
   */
  redisLongestMs: number;
  /** That command (its name; a script by its first line). */
  redisLongestCommand: string;
}

/** Measures the longest gap between ticks of a 1 ms timer: how long the event loop was held. */
class TurnProbe {
  private last = 0;
  private max = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.max = 0;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), 1);
  }

  private tick(): void {
    const now = performance.now();
    this.max = Math.max(this.max, now - this.last);
    this.last = now;
  }

  /** The longest gap since `start`, counting the one up to now (a round may end with a long turn). */
  stop(): number {
    clearInterval(this.timer);
    this.tick();
    return this.max;
  }
}

/**
 * Redis's longest command since the last call (SLOWLOG set to log every command), other than
 * SLOWLOG itself: ms, and what it was (the command, and a script's first line).
 */
async function longestCommand(probe: Redis): Promise<{ ms: number; what: string }> {
  const entries = (await probe.call('SLOWLOG', 'GET', '1000000')) as [number, number, number, string[], ...unknown[]][];
  await probe.call('SLOWLOG', 'RESET');
  let top: (typeof entries)[number] | undefined;
  // Not the probe's own: a SLOWLOG RESET after a round of many writes frees thousands of entries.
  for (const e of entries) if (!/^slowlog$/i.test(e[3][0] ?? '') && (!top || e[2] > top[2])) top = e;
  if (!top) return { ms: 0, what: '' };
  const [name = '', body = ''] = top[3];
  const what = /^eval/i.test(name) ? `${name} ${body.trim().split('\n')[0] ?? ''}`.slice(0, 60) : name;
  return { ms: top[2] / 1000, what };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Where a round is measured: the redis-server process, and a connection of its own for SLOWLOG. */
interface Meter {
  readonly redisPid: number;
  readonly probe: Redis;
}

/** Runs `fn` `rounds` times (after `before` each), measuring only `fn`. */
async function measure(m: Meter, rounds: number, fn: () => Promise<number>, before?: () => Promise<void>): Promise<RoundCost> {
  let ms = 0;
  let redisMs = 0;
  let nodeUs = 0;
  let entries = 0;
  let longestTurnMs = 0;
  let redisLongest = { ms: 0, what: '' };
  const turns = new TurnProbe();
  for (let i = 0; i < rounds; i++) {
    if (before) await before();
    await longestCommand(m.probe);
    const r0 = procStats(m.redisPid).cpuMs;
    turns.start();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    entries += await fn();
    ms += performance.now() - t0;
    const c = process.cpuUsage(c0);
    longestTurnMs = Math.max(longestTurnMs, turns.stop());
    nodeUs += c.user + c.system;
    redisMs += procStats(m.redisPid).cpuMs - r0;
    const top = await longestCommand(m.probe);
    if (top.ms > redisLongest.ms) redisLongest = top;
  }
  return {
    ms: round2(ms / rounds),
    redisCpuMs: round2(redisMs / rounds),
    nodeCpuMs: round2(nodeUs / 1000 / rounds),
    entries: Math.round(entries / rounds),
    longestTurnMs: round2(longestTurnMs),
    redisLongestMs: round2(redisLongest.ms),
    redisLongestCommand: redisLongest.what,
  };
}

export async function registryScenario(o: { devices?: number; nodes?: number; rounds?: number }): Promise<RegistryResult> {
  const devices = o.devices ?? 100_000;
  const nodes = o.nodes ?? 6;
  const rounds = o.rounds ?? 20;
  const redis = await TestRedis.start();
  const regs: RedisRegistry[] = [];
  const probe = redis.client();
  try {
    await probe.connect();
    // Log every command, and enough of them for a round's (a chunked read makes hundreds).
    await probe.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await probe.call('CONFIG', 'SET', 'slowlog-max-len', '1000000');
    const meter: Meter = { redisPid: redis.pid, probe };
    for (let k = 0; k < nodes; k++) regs.push(await RedisRegistry.connect({ url: redis.url, nodeId: `n${k}`, ttlMs: 600_000 }));
    const reader = regs[0] as RedisRegistry;
    const session = (i: number) => ({ orgId: 'org', userId: `user${String(i).padStart(7, '0')}`, deviceId: `device-${i % 3}` });
    const owner = (i: number) => regs[i % nodes] as RedisRegistry;
    const t0 = performance.now();
    const inFlight = 64 * nodes;
    for (let i = 0; i < devices; i += inFlight) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(devices, i + inFlight); j++) batch.push(owner(j).register(session(j), j % 5 === 0));
      await Promise.all(batch);
    }
    const fillSec = round2((performance.now() - t0) / 1000);

    const wholeRead = await measure(meter, rounds, async () => {
      const [all] = await Promise.all([reader.snapshot(), reader.liveNodes()]);
      return all.length;
    });
    const refreshFirst = await measure(meter, 1, async () => (await reader.refresh()).changed.length);
    const refreshIdle = await measure(meter, rounds, async () => (await reader.refresh()).changed.length);
    // Churn: devices on the other nodes sign out and in again (1 % of all devices per round).
    const changesPerRound = Math.max(1, Math.floor(devices / 100));
    let next = 0;
    const churn = async (): Promise<void> => {
      const batch: Promise<void>[] = [];
      for (let n = 0; n < changesPerRound; n++) {
        let i = next++ % devices;
        if (i % nodes === 0) i = (i + 1) % devices;
        batch.push(owner(i).unregister(session(i)).then(() => owner(i).register(session(i), false)));
      }
      await Promise.all(batch);
    };
    const refreshChurn = await measure(meter, rounds, async () => (await reader.refresh()).changed.length, churn);
    // The cluster layer on a registry of its own (a fresh copy; connecting clears node 0's own
    // entries, which no reconcile reads anyway).
    const viewer = await RedisRegistry.connect({ url: redis.url, nodeId: 'n0', ttlMs: 600_000 });
    regs.push(viewer);
    const cluster = new ClusterSessions(new LocalSessions(), new MemoryBusHub().node('n0'), viewer, pino({ level: 'silent' }), {
      reconcileMs: 3_600_000,
      nodeTtlMs: 600_000,
      order: { gapWaitMs: 100, settleMs: 2000, idleMs: 60_000 },
    });
    const reconcile = (cluster as unknown as { reconcile(): Promise<void> }).reconcile.bind(cluster);
    const online = (): number => cluster.onlineUserCount();
    const reconcileFirst = await measure(meter, 1, async () => {
      await cluster.start();
      return online();
    });
    const reconcileRound = async (): Promise<number> => {
      await reconcile();
      return online();
    };
    const reconcileIdle = await measure(meter, rounds, reconcileRound);
    const reconcileChurn = await measure(meter, rounds, reconcileRound, churn);
    await cluster.close();
    // One node dies: its heartbeat stops and its alive key goes (as its ttl would make it), then
    // a reader reaps it with all its entries.
    const dead = regs[1] as RedisRegistry;
    (dead as unknown as { heartbeat: NodeJS.Timeout }).heartbeat.close();
    await probe.del('parley:reg:alive:n1');
    const reap = await measure(meter, 1, async () => (await reader.reapDead()).reduce((n, r) => n + r.sessions.length, 0));
    const ownEntries = Array.from({ length: devices }, (_, i) => i)
      .filter((i) => i % nodes === 2)
      .map((i) => ({ session: session(i), inactive: i % 5 === 0 }));
    const republish = await measure(meter, 1, async () => {
      await (regs[2] as RedisRegistry).republish(ownEntries);
      return ownEntries.length;
    });
    const share = (c: RoundCost): number => round2((nodes * c.redisCpuMs) / 2000);
    const result: RegistryResult = {
      devices,
      nodes,
      rounds,
      fillSec,
      wholeRead,
      refreshFirst,
      refreshIdle,
      refreshChurn: { ...refreshChurn, changesPerRound },
      reconcileFirst,
      reconcileIdle,
      reconcileChurn,
      reap,
      republish,
      redisCoreShareAt2s: { wholeRead: share(wholeRead), refreshIdle: share(refreshIdle), refreshChurn: share(refreshChurn) },
    };
    const line = (name: string, c: RoundCost): string =>
      `${name}: ${c.ms} ms, redis ${c.redisCpuMs} ms CPU, node ${c.nodeCpuMs} ms CPU, ${c.entries} entries, longest turn ${c.longestTurnMs} ms, longest redis command ${c.redisLongestMs} ms (${c.redisLongestCommand})`;
    process.stderr.write(
      `registry: ${devices} devices on ${nodes} nodes (filled in ${fillSec} s)\n  ${line('whole read', wholeRead)}\n  ${line('refresh, first', refreshFirst)}\n` +
        `  ${line('refresh, nothing changed', refreshIdle)}\n  ${line(`refresh, ${changesPerRound} sign-outs and -ins`, refreshChurn)}\n` +
        `  ${line('reconcile, first', reconcileFirst)}\n  ${line('reconcile, nothing changed', reconcileIdle)}\n  ${line(`reconcile, ${changesPerRound} sign-outs and -ins`, reconcileChurn)}\n  ${line('reap a dead node', reap)}\n  ${line('republish a node', republish)}\n`,
    );
    return result;
  } finally {
    probe.disconnect();
    await Promise.all(regs.map((r) => r.close().catch(() => undefined)));
    await redis.stop();
  }
}
