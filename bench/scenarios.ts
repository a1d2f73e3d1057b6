import { BenchClient, must } from './lib/bench-client.js';
import { startEjabberd } from './lib/ejabberd.js';
import { newHistogram, summarize, type LatencySummary } from './lib/histogram.js';
import { ProcSampler, procStats } from './lib/proc-stats.js';
import { startProsody } from './lib/prosody.js';
import { join, resolve } from 'node:path';
import { runFuzz } from '../test/fuzz/driver.js';
import { TestPostgres } from '../test/helpers/postgres.js';
import { crashTrial, sumTrials, type CrashTrialResult } from '../test/process/crash-trial.js';
import { CLUSTER_DEFAULT_RATES, clusterScenario } from './cluster.js';
import { importSamaScenario } from './import-sama.js';
import { ADMIN_KEY, createOrg, setupTarget, startBaseline, startParley, type RunningServer } from './lib/servers.js';
import { bestHeld, ceilingFound, rampHeld, totals, type StepResult } from './lib/steps.js';
import { WorkerPool } from './lib/workers.js';
import { registryScenario } from './registry.js';
import { searchScenario } from './search.js';
import { seedHistory } from './seed.js';

/** Options common to every scenario (from the command line). */
export interface ScenarioOptions {
  readonly store: 'sqlite' | 'postgres';
  readonly workers: number;
  readonly durationSec?: number;
  readonly users?: number;
  readonly groupSize: number;
  readonly connections?: number;
  readonly messages?: number;
  readonly rates?: readonly number[];
  /** Extra settings for the Parley server (`--server-env KEY=VALUE,...`). */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Seconds of unrecorded load at the first rate before the measured steps (JIT, caches, GC warm-up). */
  readonly warmupSec?: number;
  /** The XMPP servers the `xmpp` scenario compares Parley with (`--server`). */
  readonly xmppServers?: readonly XmppServerName[];
  /** Packets the `fuzz` scenario sends (`--packets`). */
  readonly packets?: number;
  /** The fuzz scenario's PRNG seed (`--seed`); random when absent. */
  readonly seed?: number;
  /** Kill-restart trials of the `crash` scenario (`--trials`). */
  readonly trials?: number;
  /** Cluster sizes of the `cluster` scenario (`--nodes`, default 1,2,3). */
  readonly nodeCounts?: readonly number[];
  /** The `cluster` scenario's fixed moderate step, msg/s (`--moderate`, default 1,000; 0 skips it). */
  readonly moderateRate?: number;
}

/** The XMPP servers the bench can start, by name. */
export const XMPP_SERVERS = { prosody: startProsody, ejabberd: startEjabberd } as const;
export type XmppServerName = keyof typeof XMPP_SERVERS;

const ROOT = resolve(import.meta.dirname, '..');
const FAST_HASH = { PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' };
const PASSWORD = 'bench-password';
const MiB = 2 ** 20;

function storeEnv(o: ScenarioOptions): Record<string, string> {
  if (o.store === 'sqlite') return { ...o.serverEnv };
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('--store postgres needs BENCH_DATABASE_URL (a database the bench may fill)');
  return { ...o.serverEnv, DATABASE_URL: url };
}

/**
 * Creates groups on `server` across the worker pool (each with the conversation handler
 * `handler`, when given) and runs each rate for `stepSec`.
 */
async function loadRun(server: RunningServer, o: ScenarioOptions, users: number, rates: readonly number[], stepSec: number, stopAtFirstMiss: boolean, handler?: string): Promise<StepResult[]> {
  const pool = WorkerPool.start(o.workers);
  try {
    const target = await setupTarget(server, `bench-${Date.now()}`);
    const groups = Math.floor(users / o.groupSize);
    await pool.setup((i) => ({ t: 'setup', url: server.wsUrl, target, groups: Math.floor(groups / o.workers) + (i < groups % o.workers ? 1 : 0), groupSize: o.groupSize, prefix: `w${i}x`, password: PASSWORD, ...(handler === undefined ? {} : { handler }) }));
    // Both servers get the same unrecorded warm-up, so the steps measure steady state rather than
    // the first second after a thousand clients connect (code still being compiled, caches empty).
    const warmupSec = o.warmupSec ?? 3;
    if (warmupSec > 0 && rates.length > 0) await pool.run(rates[0] as number, warmupSec * 1000);
    const steps: StepResult[] = [];
    for (const rate of rates) {
      const sampler = new ProcSampler(server.pid);
      sampler.start();
      const parts = await pool.run(rate, stepSec * 1000);
      const srv = sampler.stop();
      const t = totals(rate, stepSec, parts);
      const { generatorCpuCores, ...load } = t;
      const step: StepResult = {
        ...load,
        serverCpuCores: Math.round(srv.cpuCores * 100) / 100,
        serverPeakRssMiB: Math.round(srv.peakRssBytes / MiB),
        generatorCpuCores,
        held: rampHeld(t),
      };
      steps.push(step);
      process.stderr.write(`${server.name} ${rate}/s: acked ${step.ackedPerSec}/s, deliveries ${step.deliveriesPerSec}/s, p99 deliver ${step.deliver.p99} ms, errors ${step.errors}, server CPU ${step.serverCpuCores}, held ${step.held}\n`);
      if (stopAtFirstMiss && !step.held) break;
    }
    return steps;
  } finally {
    pool.stop();
  }
}

/** Starts a server, ramps it until a step misses, and stops it whatever happened. */
async function rampOne(start: () => Promise<RunningServer>, o: ScenarioOptions, users: number, rates: readonly number[], stepSec: number, handler?: string): Promise<{ server: RunningServer; steps: StepResult[] }> {
  const server = await start();
  try {
    return { server, steps: await loadRun(server, o, users, rates, stepSec, true, handler) };
  } finally {
    await server.stop();
  }
}

/** Round trips of `ping` (allowed before login) every 10 ms for `ms`, one at a time, in ms. */
async function pingProbe(url: string, ms: number): Promise<LatencySummary> {
  const c = await BenchClient.open(url);
  const h = newHistogram();
  try {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      must(await c.request('ping', {}), 'ping');
      h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    c.close();
  }
  return summarize(h);
}

/** The cheapest useful conversation handler, in SAMA's convention: it accepts every message. */
const TRIVIAL_HANDLER = 'async function handler(message, user, accept) { return accept(); }\nexport default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH);';
const HANDLER_DEFAULT_RATES = [250, 500, 1000, 1500, 2000, 3000, 4000, 6000];

const DEFAULT_RATES = [2000, 4000, 6000, 8000, 10000, 12000, 14000, 17000, 20000, 25000, 30000];
/** The `xmpp` scenario starts lower: a server that misses 2,000 msg/s would otherwise report no held rate at all. */
const XMPP_DEFAULT_RATES = [500, 1000, ...DEFAULT_RATES];
const ratio = (a: StepResult | undefined, b: StepResult | undefined): number | null => (a && b ? Math.round((a.ackedPerSec / b.ackedPerSec) * 100) / 100 : null);

/** Every scenario by name. */
export const scenarios: Record<string, (o: ScenarioOptions) => Promise<unknown>> = {
  /** SAMA's published load: 300 users in groups of 4, one message each per 5 s. */
  async sama(o) {
    const users = o.users ?? 300;
    const server = await startParley({ ...FAST_HASH, ...storeEnv(o) });
    try {
      const [step] = await loadRun(server, o, users, [users / 5], o.durationSec ?? 60, false);
      return { users, groupSize: o.groupSize, startupMs: Math.round(server.startupMs), step };
    } finally {
      await server.stop();
    }
  },

  /** Raises the rate until p99 send→deliver passes 100 ms or errors appear; Parley and the bare baseline in one run. */
  async ramp(o) {
    const users = o.users ?? 1000;
    const rates = o.rates ?? DEFAULT_RATES;
    const stepSec = o.durationSec ?? 10;
    const { steps: baseSteps } = await rampOne(startBaseline, o, users, rates, stepSec);
    const { server, steps } = await rampOne(() => startParley({ ...FAST_HASH, ...storeEnv(o) }), o, users, rates, stepSec);
    const best = bestHeld(steps);
    const baseBest = bestHeld(baseSteps);
    return {
      users,
      groupSize: o.groupSize,
      stepSec,
      startupMs: Math.round(server.startupMs),
      parley: { bestHeldAckedPerSec: best?.ackedPerSec ?? 0, steps },
      baseline: { bestHeldAckedPerSec: baseBest?.ackedPerSec ?? 0, steps: baseSteps },
      ratioToBaseline: ratio(best, baseBest),
    };
  },

  /**
   * What a conversation handler costs: Parley ramped twice in one run, with no handler and with a
   * trivial one (accepts everything) on every group, same users, groups, steps and warm-up. Per
   * step, acked messages/s and the ack p99 (send → ask: the handler runs before the store); the
   * best held rate of each and the p99 the handler adds at the rates both held.
   */
  async handler(o) {
    const users = o.users ?? 1000;
    const rates = o.rates ?? HANDLER_DEFAULT_RATES;
    const stepSec = o.durationSec ?? 10;
    const start = (): Promise<RunningServer> => startParley({ ...FAST_HASH, ...storeEnv(o) });
    const { steps: plain } = await rampOne(start, o, users, rates, stepSec);
    const { server, steps: handled } = await rampOne(start, o, users, rates, stepSec, TRIVIAL_HANDLER);
    const both = handled.filter((h) => h.held && plain.some((p) => p.held && p.offeredPerSec === h.offeredPerSec));
    const added = both.map((h) => {
      const p = plain.find((s) => s.offeredPerSec === h.offeredPerSec) as StepResult;
      return { offeredPerSec: h.offeredPerSec, ackP99Ms: { none: p.ack.p99, handler: h.ack.p99, added: Math.round((h.ack.p99 - p.ack.p99) * 100) / 100 }, deliverP99Ms: { none: p.deliver.p99, handler: h.deliver.p99 }, serverCpuCores: { none: p.serverCpuCores, handler: h.serverCpuCores } };
    });
    return {
      users,
      groupSize: o.groupSize,
      stepSec,
      handler: TRIVIAL_HANDLER,
      threads: Number(o.serverEnv.CONVERSATION_HANDLER_THREADS ?? 2),
      startupMs: Math.round(server.startupMs),
      none: { bestHeldAckedPerSec: bestHeld(plain)?.ackedPerSec ?? 0, ceilingFound: ceilingFound(plain), steps: plain },
      withHandler: { bestHeldAckedPerSec: bestHeld(handled)?.ackedPerSec ?? 0, ceilingFound: ceilingFound(handled), steps: handled },
      addedAtSameRate: added,
    };
  },

  /**
   * Parley against established XMPP servers on the same machine: each XMPP server (Prosody,
   * ejabberd; `--server`), then Parley, ramped with the same users, groups, steps and warm-up by
   * the same generator program, speaking XMPP over WebSocket (MUC rooms) to the XMPP servers and
   * SAMA to Parley. See docs/benchmarks.md for the servers' settings and how ack and delivery map.
   */
  async xmpp(o) {
    const users = o.users ?? 1000;
    const rates = o.rates ?? XMPP_DEFAULT_RATES;
    const stepSec = o.durationSec ?? 10;
    const xmpp: Partial<Record<XmppServerName, { version: string | undefined; startupMs: number; bestHeldAckedPerSec: number; ceilingFound: boolean; steps: StepResult[] }>> = {};
    const best: Partial<Record<XmppServerName, StepResult | undefined>> = {};
    for (const name of o.xmppServers ?? (['prosody', 'ejabberd'] as const)) {
      const { server, steps } = await rampOne(XMPP_SERVERS[name], o, users, rates, stepSec);
      best[name] = bestHeld(steps);
      xmpp[name] = { version: server.version, startupMs: Math.round(server.startupMs), bestHeldAckedPerSec: best[name]?.ackedPerSec ?? 0, ceilingFound: ceilingFound(steps), steps };
    }
    const { server, steps } = await rampOne(() => startParley({ ...FAST_HASH, ...storeEnv(o) }), o, users, rates, stepSec);
    const parleyBest = bestHeld(steps);
    return {
      users,
      groupSize: o.groupSize,
      stepSec,
      warmupSec: o.warmupSec ?? 3,
      parley: { startupMs: Math.round(server.startupMs), bestHeldAckedPerSec: parleyBest?.ackedPerSec ?? 0, ceilingFound: ceilingFound(steps), steps },
      xmpp,
      /** Parley's best held rate over each XMPP server's; null where either held no step. A bound only where a ramp found no ceiling (see ceilingFound). */
      parleyRatioTo: Object.fromEntries(Object.keys(xmpp).map((name) => [name, ratio(parleyBest, best[name as XmppServerName])])),
    };
  },

  /**
   * Parley as a cluster of 1, 2 and 3 node processes on one PostgreSQL (durable settings) and one
   * Redis, users spread so most deliveries cross nodes: a moderate fixed step, then a ramp, with
   * same- and cross-node latency and CPU per process per 1,000 messages (bench/cluster.ts).
   * Always PostgreSQL: a cluster needs it.
   */
  async cluster(o) {
    return clusterScenario({
      nodeCounts: o.nodeCounts ?? [1, 2, 3],
      users: o.users ?? 1000,
      groupSize: o.groupSize,
      workers: o.workers,
      rates: o.rates ?? CLUSTER_DEFAULT_RATES,
      stepSec: o.durationSec ?? 10,
      warmupSec: o.warmupSec ?? 5,
      moderateRate: o.moderateRate ?? 1000,
      durablePostgres: true,
      entry: 'dist',
      serverEnv: o.serverEnv,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  },

  /** The bare ws fan-out server alone (the ceiling of this machine). */
  async baseline(o) {
    const { steps } = await rampOne(startBaseline, o, o.users ?? 1000, o.rates ?? DEFAULT_RATES, o.durationSec ?? 10);
    return { bestHeldAckedPerSec: bestHeld(steps)?.ackedPerSec ?? 0, steps };
  },

  /** Server RSS per idle authenticated connection, sampled as connections grow. */
  async idle(o) {
    const connections = o.connections ?? 10_000;
    const devicesPerUser = 100;
    const stepUsers = 10; // 1000 connections per step
    const server = await startParley({ ...FAST_HASH, ...storeEnv(o) });
    const pool = WorkerPool.start(o.workers);
    try {
      const orgId = await createOrg(server, `bench-${Date.now()}`);
      await new Promise((r) => setTimeout(r, 500));
      const before = procStats(server.pid).rssBytes;
      const series: { connections: number; rssMiB: number }[] = [{ connections: 0, rssMiB: Math.round(before / MiB) }];
      let open = 0;
      for (let step = 0; open < connections; step++) {
        const ready = await pool.setup((i) => ({ t: 'idle', url: server.wsUrl, orgId, users: Math.ceil(stepUsers / o.workers), devicesPerUser, prefix: `s${step}w${i}x`, password: PASSWORD }));
        open = ready.reduce((a, r) => a + r.connections, 0);
        series.push({ connections: open, rssMiB: Math.round(procStats(server.pid).rssBytes / MiB) });
      }
      await new Promise((r) => setTimeout(r, 3000));
      const after = procStats(server.pid).rssBytes;
      // With every connection open, a probe pings the server every 10 ms for --duration seconds
      // (default 30: more than one WS_HEARTBEAT_INTERVAL_MS of 25 s), so a per-socket chore done
      // in one turn of the event loop shows as the probe's maximum.
      const probe = await pingProbe(server.wsUrl, (o.durationSec ?? 30) * 1000);
      return { connections: open, rssBeforeMiB: Math.round(before / MiB), rssAfterMiB: Math.round(after / MiB), bytesPerConnection: Math.round((after - before) / open), series, probe, startupMs: Math.round(server.startupMs) };
    } finally {
      pool.stop();
      await server.stop();
    }
  },

  /** message_list latency over one conversation holding many messages. */
  async history(o) {
    const total = o.messages ?? 1_000_000;
    const env: Record<string, string> = { ...FAST_HASH, ...storeEnv(o) };
    let server = await startParley(env);
    const dataDir = server.dataDir as string;
    const orgId = await createOrg(server, `bench-${Date.now()}`);
    const c = await BenchClient.open(server.wsUrl);
    const ids: string[] = [];
    for (const login of ['hista', 'histb']) {
      ids.push(must(await c.request('user_create', { organization_id: orgId, login, password: PASSWORD, email: `${login}@bench.local` }), 'user_create').user._id as string);
    }
    must(await c.request('user_login', { organization_id: orgId, login: 'hista', password: PASSWORD, device_id: 'h' }), 'login');
    const cid = must(await c.request('conversation_create', { type: 'g', name: 'history', participants: [ids[1]] }), 'conversation_create').conversation._id as string;
    c.close();
    // Seed through the store itself (a million messages over the wire would measure sending, not listing).
    await server.stop(true);
    const seedStart = performance.now();
    await seedHistory({ dataDir, databaseUrl: env.DATABASE_URL, orgId, cid, from: [ids[0] as string, ids[1] as string], total });
    const seedSec = (performance.now() - seedStart) / 1000;
    server = await startParley(env, dataDir);
    try {
      const cl = await BenchClient.open(server.wsUrl);
      must(await cl.request('user_login', { organization_id: orgId, login: 'histb', password: PASSWORD, device_id: 'h' }), 'login');
      const newest = newHistogram();
      const deep = newHistogram();
      const span = total * 1000; // seeded messages are 1 ms apart, starting at epoch ms 1_600_000_000_000
      for (let i = 0; i < 2000; i++) {
        const h = i % 2 === 0 ? newest : deep;
        const body = i % 2 === 0 ? { cid } : { cid, updated_at: { lt: 1_600_000_000_000 + Math.floor(Math.random() * span) } };
        const t0 = process.hrtime.bigint();
        const r = must(await cl.request('message_list', body), 'message_list');
        h.recordValue(Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n)));
        if (!Array.isArray(r.messages) || r.messages.length === 0) throw new Error('message_list returned no messages');
      }
      cl.close();
      return { messages: total, seedSec: Math.round(seedSec), newestPage: summarize(newest), randomOlderPage: summarize(deep) };
    } finally {
      await server.stop();
    }
  },

  /**
   * parley_message_search latency over 10^6 messages (`--messages`) in conversations of 20 of
   * 2,000 members (`--users`), each searcher in about 100 of them; PostgreSQL on a throwaway
   * server with `--store postgres`.
   */
  search: (o) => searchScenario({ store: o.store, messages: o.messages, users: o.users, serverEnv: o.serverEnv }),

  /** Password logins per second at the default argon2id cost. */
  async login(o) {
    const server = await startParley(storeEnv(o));
    try {
      const orgId = await createOrg(server, `bench-${Date.now()}`);
      const setup = await BenchClient.open(server.wsUrl);
      const logins = Array.from({ length: 32 }, (_, i) => `login${i}`);
      await Promise.all(logins.map(async (login) => must(await setup.request('user_create', { organization_id: orgId, login, password: PASSWORD, email: `${login}@bench.local` }), 'user_create')));
      setup.close();
      const clients = await Promise.all(logins.map(() => BenchClient.open(server.wsUrl)));
      const lat = newHistogram();
      let done = 0;
      const until = performance.now() + (o.durationSec ?? 10) * 1000;
      const sampler = new ProcSampler(server.pid);
      sampler.start();
      const t0 = performance.now();
      await Promise.all(
        clients.map(async (cl, i) => {
          while (performance.now() < until) {
            const s = process.hrtime.bigint();
            must(await cl.request('user_login', { organization_id: orgId, login: logins[i], password: PASSWORD, device_id: `d${i}` }), 'user_login');
            lat.recordValue(Math.max(1, Number((process.hrtime.bigint() - s) / 1000n)));
            done++;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      const srv = sampler.stop();
      for (const cl of clients) cl.close();
      return { concurrency: clients.length, loginsPerSec: Math.round(done / secs), latency: summarize(lat), serverCpuCores: Math.round(srv.cpuCores * 100) / 100 };
    } finally {
      await server.stop();
    }
  },

  /**
   * The hostile-client fuzz of test/fuzz at length (default 1,000,000 packets): every reply
   * SAMA-shaped, no 500, no crash, pings on another socket answered within 1 s.
   */
  async fuzz(o) {
    const seed = o.seed ?? Math.floor(Math.random() * 4294967296);
    process.stderr.write(`fuzz seed ${seed}\n`);
    const server = await startParley({ ...FAST_HASH, LOGIN_RATE_LIMIT_PER_LOGIN: '1000000', ...storeEnv(o) });
    try {
      const report = await runFuzz({ wsUrl: server.wsUrl, httpUrl: server.httpUrl, adminKey: ADMIN_KEY }, { packets: o.packets ?? 1_000_000, seed, progress: (line) => process.stderr.write(`${line}\n`) });
      const alive = (await fetch(`${server.httpUrl}/readyz`).then((r) => r.status, () => 0)) === 200;
      const passed = alive && report.violationCount === 0 && report.pings.maxMs < 1000 && Object.keys(report.noReply).length === 0;
      return { passed, serverAlive: alive, ...report };
    } finally {
      await server.stop();
    }
  },

  /**
   * Kill-restart trials (test/process/crash-trial.ts) against the built server: SIGKILL under
   * load at a random moment, restart, resend unacknowledged messages with the same ids; counts
   * acknowledged messages checked, lost and duplicated. PostgreSQL: a throwaway server, one fresh
   * database per trial.
   */
  async crash(o) {
    const trials = o.trials ?? 100;
    const seed = o.seed ?? Math.floor(Math.random() * 1e9);
    const pgServer = o.store === 'postgres' ? await TestPostgres.start() : undefined;
    const server = [process.execPath, join(ROOT, 'dist', 'main.js')];
    const results: CrashTrialResult[] = [];
    const failed: CrashTrialResult[] = [];
    const t0 = performance.now();
    try {
      for (let i = 0; i < trials; i++) {
        const r = await crashTrial({ server, seed: seed + i, databaseUrl: pgServer ? await pgServer.createDatabase() : undefined });
        results.push(r);
        if (r.lost + r.duplicated + r.mismatched + r.errors > 0) failed.push(r);
        if ((i + 1) % 10 === 0 || i + 1 === trials) process.stderr.write(`crash ${o.store}: ${i + 1}/${trials} trials, ${JSON.stringify(sumTrials(results))}, failed ${failed.length}\n`);
      }
    } finally {
      await pgServer?.stop();
    }
    const times = results.map((r) => r.elapsedMs).sort((a, b) => a - b);
    return { firstSeed: seed, ...sumTrials(results), failedTrials: failed, trialMs: { median: times[Math.floor(times.length / 2)] ?? 0, max: times[times.length - 1] ?? 0 }, totalSec: Math.round((performance.now() - t0) / 1000) };
  },

  /**
   * `import-sama` of a generated SAMA dump (default 10^6 messages, `--messages`, `--users`) into
   * a fresh SQLite store and a fresh durable PostgreSQL, then the second (no-op) run on each.
   */
  'import-sama': (o) => importSamaScenario({ messages: o.messages, users: o.users }),

  /**
   * What one node's registry repair costs Redis and the node with `--connections` devices
   * (default 100,000) on `--nodes` nodes (default 6): the old whole read against `refresh`.
   */
  registry: (o) => registryScenario({ devices: o.connections, nodes: o.nodeCounts?.[0] }),

  /** Start-up to ready on an empty data dir, several times. */
  async startup(o) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const server = await startParley(storeEnv(o));
      times.push(Math.round(server.startupMs));
      await server.stop();
    }
    return { startupMs: times, maxMs: Math.max(...times) };
  },
};
