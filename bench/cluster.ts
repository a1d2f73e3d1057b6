import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TestPostgres } from '../test/helpers/postgres.js';
import { TestRedis } from '../test/helpers/redis.js';
import { mergeEncoded, summarize, type LatencySummary } from './lib/histogram.js';
import { machineCpuMs, procStats, treeCpuMs } from './lib/proc-stats.js';
import { PgStatements, RedisCommands } from './lib/store-stats.js';
import { createOrg, startParley, type ParleyEntry, type RunningServer } from './lib/servers.js';
import { parseSettings } from './lib/settings.js';
import { bestHeld, ceilingFound, rampHeld, totals, type LoadTotals } from './lib/steps.js';
import { WorkerPool } from './lib/workers.js';

/**
 * `npm run bench -- cluster`: Parley as a cluster of 1, 2 and 3 nodes (README, "Running several
 * nodes") on one throwaway PostgreSQL and redis-server. For each node count: a fresh database
 * and a fresh Redis, the nodes as separate `node dist/main.js` processes, the users of every
 * group spread over the nodes (member k of group g on node (g + k) mod N, so most deliveries
 * cross nodes), then a warm-up, an idle step (everyone connected, nothing sent), an optional
 * fixed moderate step and a ramp like `ramp`'s. Every step records same-node and cross-node
 * send→deliver latency separately (sender and recipient are in the same generator process, one
 * clock) and the CPU of each node, of redis-server and of every PostgreSQL process, per 1,000
 * messages. Stops every process it started, also on failure.
 */

/** How the cluster scenario runs (command-line options mapped by scenarios.ts). */
export interface ClusterOptions {
  /** Cluster sizes to measure, in order (`--nodes`). */
  readonly nodeCounts: readonly number[];
  readonly users: number;
  readonly groupSize: number;
  /** Generator processes. */
  readonly workers: number;
  /** Offered rates of the ramp, msg/s, ascending; the ramp stops at the first step that does not hold. */
  readonly rates: readonly number[];
  readonly stepSec: number;
  /** Unrecorded load at the moderate rate (else the first ramp rate) before the moderate step and the ramp. */
  readonly warmupSec: number;
  /** The fixed "SAMA-like" step before the ramp, msg/s (`--moderate`); 0 skips it. */
  readonly moderateRate: number;
  /** PostgreSQL with its own durability defaults (fsync on), as in production; false for quick tests. */
  readonly durablePostgres: boolean;
  /** `dist` (the scenario) or `source` (the smoke test, no build needed). */
  readonly entry: ParleyEntry;
  /** Extra node settings (`--server-env`). */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

/** Default offered rates: from well under one node's ceiling to well over this machine's. */
export const CLUSTER_DEFAULT_RATES = [250, 500, 750, 1000, 1500, 2000, 3000, 4000];
/** A step must reach this share of its offered rate to hold (besides the ramp's rule). */
export const ACHIEVED_SHARE = 0.95;
/** The moderate step's target for cross-node p99 send→deliver, ms. */
export const CROSS_NODE_P99_TARGET_MS = 10;

/** CPU of one step, as cores (1.0 = one core busy for the whole step). */
export interface StepCpu {
  nodes: number[];
  redis: number;
  /** The postmaster and every process under it (backends, WAL writer, checkpointer, …). */
  postgres: number;
  generators: number;
  /** The whole machine (/proc/stat): everything above plus the kernel and anything else running. */
  machineBusy: number;
  /** machineBusy less everything above: other work on the machine and the kernel's own (soft interrupts of the loopback traffic among it). */
  notOurProcesses: number;
  /** Time the hypervisor gave to other guests. */
  machineSteal: number;
}

/** One fixed-rate step against a cluster. */
export interface ClusterStep extends LoadTotals {
  deliverSameNode: LatencySummary;
  deliverCrossNode: LatencySummary;
  /** Share of deliveries whose recipient is on another node than the sender. */
  crossShare: number;
  cpuCores: StepCpu;
  /** CPU seconds per 1,000 acked messages, per process (numerically: CPU ms per message). */
  cpuSecPer1000Messages: { nodes: number[]; nodesTotal: number; redis: number; postgres: number };
  /** redis-server CPU ms per 1,000 deliveries, and per 1,000 cross-node deliveries (the bus's cost). */
  redisCpuMsPer1000Deliveries: number;
  redisCpuMsPer1000CrossDeliveries: number | null;
  /**
   * Statements PostgreSQL ran per acked message (pg_stat_statements: exact, independent of the
   * machine), in all and for the most called shapes.
   */
  postgresStatements: { perMessage: number; top: { query: string; perMessage: number; meanMs: number }[] };
  /** Redis commands per acked message (INFO commandstats), by command. */
  redisCommandsPerMessage: Record<string, number>;
  /** The ramp rule ({@link rampHeld}) and acked ≥ 95 % of offered. */
  held: boolean;
}

/** What one cluster size did. */
export interface ClusterRun {
  nodes: number;
  /** The processes this size ran (all stopped when the run returns). */
  pids: { nodes: number[]; redis: number; postgres: number };
  startupMs: number[];
  setupSec: number;
  /** A step with every user connected and nothing sent: what the cluster costs at rest. */
  idle: ClusterStep;
  moderate: ClusterStep | null;
  /** Moderate step: cross-node p99 ≤ 10 ms, every message acked and delivered, no errors. */
  moderateCrossP99Met: boolean | null;
  steps: ClusterStep[];
  bestHeldAckedPerSec: number;
  ceilingFound: boolean;
}

const FAST_HASH = { PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' };
const PASSWORD = 'bench-password';
const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Reads each process's CPU time at start() and the difference at stop(). */
class CpuMeter {
  private readonly t0 = performance.now();
  private readonly base: number[];
  private readonly machine0 = machineCpuMs();

  constructor(private readonly read: () => number[]) {
    this.base = read();
  }

  /** CPU ms per process since construction, the wall time in ms, and the machine's busy and steal ms. */
  stop(): { ms: number[]; wallMs: number; busyMs: number; stealMs: number } {
    const now = this.read();
    const m = machineCpuMs();
    return { ms: now.map((v, i) => v - (this.base[i] ?? 0)), wallMs: performance.now() - this.t0, busyMs: m.busyMs - this.machine0.busyMs, stealMs: m.stealMs - this.machine0.stealMs };
  }
}

interface Running {
  readonly nodes: RunningServer[];
  readonly redis: TestRedis;
  readonly pg: TestPostgres;
  readonly pool: WorkerPool;
  readonly statements: PgStatements;
  readonly commands: RedisCommands;
}

async function measure(c: Running, o: ClusterOptions, rate: number): Promise<ClusterStep> {
  await c.statements.reset();
  await c.commands.delta();
  const meter = new CpuMeter(() => [...c.nodes.map((n) => procStats(n.pid).cpuMs), procStats(c.redis.pid).cpuMs, treeCpuMs(c.pg.pid)]);
  const parts = await c.pool.run(rate, o.stepSec * 1000);
  const cpu = meter.stop();
  const statements = await c.statements.read();
  const commands = await c.commands.delta();
  const t = totals(rate, o.stepSec, parts);
  const perMessage = (n: number): number => (t.acked > 0 ? round(n / t.acked) : 0);
  const same = summarize(mergeEncoded(parts.map((p) => p.deliverSame)));
  const cross = summarize(mergeEncoded(parts.map((p) => p.deliverCross)));
  const n = c.nodes.length;
  const nodeMs = cpu.ms.slice(0, n);
  const [redisMs = 0, pgMs = 0] = cpu.ms.slice(n);
  const cores = (ms: number): number => Math.round((ms / cpu.wallMs) * 100) / 100;
  const per1000 = (ms: number): number => (t.acked > 0 ? round(ms / t.acked) : 0);
  const step: ClusterStep = {
    ...t,
    deliverSameNode: same,
    deliverCrossNode: cross,
    crossShare: t.delivered > 0 ? Math.round((cross.count / t.delivered) * 1000) / 1000 : 0,
    cpuCores: {
      nodes: nodeMs.map(cores),
      redis: cores(redisMs),
      postgres: cores(pgMs),
      generators: t.generatorCpuCores,
      machineBusy: cores(cpu.busyMs),
      notOurProcesses: Math.max(0, Math.round((cores(cpu.busyMs - cpu.ms.reduce((a, b) => a + b, 0)) - t.generatorCpuCores) * 100) / 100),
      machineSteal: cores(cpu.stealMs),
    },
    cpuSecPer1000Messages: { nodes: nodeMs.map(per1000), nodesTotal: per1000(nodeMs.reduce((a, b) => a + b, 0)), redis: per1000(redisMs), postgres: per1000(pgMs) },
    redisCpuMsPer1000Deliveries: t.delivered > 0 ? round((redisMs * 1000) / t.delivered) : 0,
    redisCpuMsPer1000CrossDeliveries: cross.count > 0 ? round((redisMs * 1000) / cross.count) : null,
    postgresStatements: {
      perMessage: perMessage(statements.reduce((a, s) => a + s.calls, 0)),
      top: statements.slice(0, 10).map((s) => ({ query: s.query, perMessage: perMessage(s.calls), meanMs: s.meanMs })),
    },
    redisCommandsPerMessage: Object.fromEntries(Object.entries(commands).map(([cmd, n]) => [cmd, perMessage(n)])),
    held: rampHeld(t) && t.acked >= ACHIEVED_SHARE * rate * o.stepSec,
  };
  o.log(
    `cluster ${n} node(s) ${rate}/s: acked ${step.ackedPerSec}/s, deliveries ${step.deliveriesPerSec}/s (${Math.round(step.crossShare * 100)} % cross-node), ` +
      `p99 deliver same ${same.p99} / cross ${cross.p99} ms, errors ${step.errors}, CPU nodes ${step.cpuCores.nodes.join('+')} redis ${step.cpuCores.redis} pg ${step.cpuCores.postgres} ` +
      `generators ${step.cpuCores.generators} machine ${step.cpuCores.machineBusy}, held ${step.held}`,
  );
  return step;
}

/** Starts `count` nodes on a fresh database and Redis, loads them, and stops them whatever happened. */
async function runCluster(pg: TestPostgres, count: number, o: ClusterOptions): Promise<ClusterRun> {
  const redis = await TestRedis.start();
  const nodes: RunningServer[] = [];
  let pool: WorkerPool | undefined;
  let statements: PgStatements | undefined;
  let commands: RedisCommands | undefined;
  try {
    const databaseUrl = await pg.createDatabase();
    statements = await PgStatements.open(databaseUrl);
    commands = await RedisCommands.open(redis.url);
    const env = {
      ...FAST_HASH,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      JWT_ACCESS_SECRET: 'bench-cluster-jwt-secret',
      COOKIE_SECRET: 'bench-cluster-cookie-secret',
      FILE_URL_SECRET: 'bench-cluster-file-secret',
      ...o.serverEnv,
    };
    // One after another: the first node migrates the fresh database.
    for (let i = 0; i < count; i++) nodes.push(await startParley({ ...env, NODE_ID: `bench-${count}n${i + 1}` }, undefined, o.entry));
    pool = WorkerPool.start(o.workers);
    const setup0 = performance.now();
    const orgId = await createOrg(nodes[0] as RunningServer, `bench-cluster-${count}-${Date.now()}`);
    const groups = Math.floor(o.users / o.groupSize);
    const nodeUrls = nodes.map((n) => n.wsUrl);
    await pool.setup((i) => ({ t: 'setup', url: nodeUrls[i % count] as string, target: { protocol: 'sama', orgId }, groups: Math.floor(groups / o.workers) + (i < groups % o.workers ? 1 : 0), groupSize: o.groupSize, prefix: `c${count}w${i}x`, password: PASSWORD, nodeUrls }));
    const setupSec = Math.round((performance.now() - setup0) / 100) / 10;
    const running: Running = { nodes, redis, pg, pool, statements, commands };
    const idle = await measure(running, o, 0);
    // Warm up at the moderate rate where there is one: a first step at 1,000 msg/s straight
    // after a warm-up at 250 measured the nodes and PostgreSQL still settling (p99 1.6 s, then
    // 95 ms at the same rate a minute later).
    const warmRate = o.moderateRate > 0 ? o.moderateRate : (o.rates[0] ?? 0);
    if (o.warmupSec > 0 && warmRate > 0) await pool.run(warmRate, o.warmupSec * 1000);
    const moderate = o.moderateRate > 0 ? await measure(running, o, o.moderateRate) : null;
    const steps: ClusterStep[] = [];
    for (const rate of o.rates) {
      const step = await measure(running, o, rate);
      steps.push(step);
      if (!step.held) break;
    }
    return {
      nodes: count,
      pids: { nodes: nodes.map((n) => n.pid), redis: redis.pid, postgres: pg.pid },
      startupMs: nodes.map((n) => Math.round(n.startupMs)),
      setupSec,
      idle,
      moderate,
      moderateCrossP99Met: moderate && count > 1 ? rampHeld(moderate) && moderate.deliverCrossNode.p99 <= CROSS_NODE_P99_TARGET_MS : null,
      steps,
      bestHeldAckedPerSec: bestHeld(steps)?.ackedPerSec ?? 0,
      ceilingFound: ceilingFound(steps),
    };
  } finally {
    pool?.stop();
    commands?.close();
    await statements?.close();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
}

/** Least-squares line through `points`; null with fewer than two distinct x. */
export function fitLine(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } | null {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  if (n < 2 || sxx === 0) return null;
  const slope = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * CPU against load over the held steps of one cluster size (the idle step among them), fitted
 * as fixed cores plus a cost per message: at low rates the fixed part (timers, heartbeats, idle
 * batches) dominates CPU ÷ messages, so the slope is the figure to scale by. Per 1,000 acked messages (Redis also
 * per 1,000 deliveries), in CPU seconds (Redis: ms).
 */
function marginalCosts(steps: readonly ClusterStep[]): Record<string, { fixedCores: number; cpuSecPer1000Messages: number } | { fixedCores: number; cpuMsPer1000Deliveries: number } | null> {
  const fit = (y: (s: ClusterStep) => number): { fixedCores: number; cpuSecPer1000Messages: number } | null => {
    const line = fitLine(steps.map((s) => [s.ackedPerSec, y(s)] as const));
    return line ? { fixedCores: round(line.intercept), cpuSecPer1000Messages: round(line.slope * 1000) } : null;
  };
  const bus = fitLine(steps.map((s) => [s.deliveriesPerSec, s.cpuCores.redis] as const));
  return {
    nodesTotal: fit((s) => s.cpuCores.nodes.reduce((a, b) => a + b, 0)),
    postgres: fit((s) => s.cpuCores.postgres),
    redis: fit((s) => s.cpuCores.redis),
    redisPerDelivery: bus ? { fixedCores: round(bus.intercept), cpuMsPer1000Deliveries: round(bus.slope * 1e6) } : null,
    generators: fit((s) => s.cpuCores.generators),
  };
}

/** One line per cluster size: the figures docs/benchmarks.md and docs/scaling.md quote. */
function summaryRow(r: ClusterRun): Record<string, unknown> {
  const best = bestHeld(r.steps);
  return {
    nodes: r.nodes,
    bestHeldAckedPerSec: r.bestHeldAckedPerSec,
    ceilingFound: r.ceilingFound,
    idleCpuCores: r.idle.cpuCores,
    // Steps that did not hold are left out: a starved process's CPU says what it got, not what it needed.
    marginal: marginalCosts([r.idle, ...(r.moderate ? [r.moderate] : []), ...r.steps].filter((s) => s.held)),
    atBestHeld: best
      ? {
          offeredPerSec: best.offeredPerSec,
          deliveriesPerSec: best.deliveriesPerSec,
          crossShare: best.crossShare,
          deliverSameP50P99: [best.deliverSameNode.p50, best.deliverSameNode.p99],
          deliverCrossP50P99: [best.deliverCrossNode.p50, best.deliverCrossNode.p99],
          cpuSecPer1000Messages: best.cpuSecPer1000Messages,
          redisCpuMsPer1000Deliveries: best.redisCpuMsPer1000Deliveries,
          postgresStatementsPerMessage: best.postgresStatements.perMessage,
          redisCommandsPerMessage: best.redisCommandsPerMessage,
          cpuCores: best.cpuCores,
        }
      : null,
    moderate: r.moderate
      ? { offeredPerSec: r.moderate.offeredPerSec, deliverCrossP50P99: [r.moderate.deliverCrossNode.p50, r.moderate.deliverCrossNode.p99], deliverSameP50P99: [r.moderate.deliverSameNode.p50, r.moderate.deliverSameNode.p99], crossP99Met: r.moderateCrossP99Met }
      : null,
  };
}

/** Runs the scenario: one throwaway PostgreSQL for all sizes (a fresh database each), stopped at the end. */
export async function clusterScenario(o: ClusterOptions): Promise<Record<string, unknown>> {
  // BENCH_PG_SETTINGS="name=value,…" adds server settings, for diagnostics such as how much of
  // the latency is the commit's fsync (synchronous_commit=off); results from such runs say so.
  const extra = parseSettings(process.env.BENCH_PG_SETTINGS);
  const pg = await TestPostgres.start({ durable: o.durablePostgres, settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'top', ...extra } });
  const runs: ClusterRun[] = [];
  try {
    for (const count of o.nodeCounts) runs.push(await runCluster(pg, count, o));
  } finally {
    await pg.stop();
  }
  const bin = TestPostgres.binDir();
  return {
    users: o.users,
    groupSize: o.groupSize,
    workers: o.workers,
    stepSec: o.stepSec,
    warmupSec: o.warmupSec,
    heldRule: `every message acked and delivered, no errors, p99 send→deliver ≤ 100 ms (the ramp rule), and acked ≥ ${ACHIEVED_SHARE * 100} % of offered`,
    postgres: { version: bin ? version(join(bin, 'postgres'), ['--version']) : 'unknown', durable: o.durablePostgres, extraSettings: extra },
    redis: version('redis-server', ['--version']),
    summary: runs.map(summaryRow),
    runs,
  };
}
