import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';

/** Environment variable a worker reads its index from (set by the primary only). */
const WORKER_INDEX = 'PARLEY_WORKER_INDEX';

/** True in a worker process forked by runWorkers. */
export function isWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_INDEX] !== undefined;
}

/**
 * CLUSTER_WORKERS: this process becomes a primary that runs `count` Parley nodes as worker
 * processes on the same port (node:cluster hands each new connection to a worker in turn). Each
 * worker is a full cluster node named `<NODE_ID>-w<n>`; they meet through Redis and PostgreSQL like
 * nodes on different machines, so a worker that dies is noticed by its heartbeat like any node.
 * The primary opens nothing itself: it restarts a worker that dies (after a pause that grows while
 * workers keep dying, so a broken configuration does not spin), and on SIGTERM or SIGINT passes the
 * signal on, waits for every worker to finish and exits.
 */
export function runWorkers(config: Config, count: number, log: Logger): void {
  const base = config.nodeId ?? 'parley';
  let stopping = false;
  const restarts = new Map<number, number>();
  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_INDEX]: String(index), NODE_ID: `${base}-w${String(index)}` });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      const n = (restarts.get(index) ?? 0) + 1;
      restarts.set(index, n);
      const delay = Math.min(100 * 2 ** Math.min(n - 1, 8), 30_000);
      log.warn({ worker: index, code, signal, restartInMs: delay }, 'worker exited; restarting it');
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay).unref();
    });
    // A worker that stays up a minute has recovered: its next crash restarts it at once.
    setTimeout(() => restarts.delete(index), 60_000).unref();
    return worker;
  };
  for (let i = 1; i <= count; i++) fork(i);
  log.info({ workers: count, node: base }, 'parley primary running workers');
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 50);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
