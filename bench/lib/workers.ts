import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { FromWorker, ToWorker } from './worker-protocol.js';

type Result = Extract<FromWorker, { t: 'result' }>;

/** A pool of generator processes driven in lock-step by the coordinator. */
export class WorkerPool {
  private constructor(private readonly procs: ChildProcess[]) {}

  static start(count: number): WorkerPool {
    const file = resolve(import.meta.dirname, 'generator.ts');
    return new WorkerPool(Array.from({ length: count }, () => fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
  }

  get size(): number {
    return this.procs.length;
  }

  /** Sends one message per worker (built from its index) and waits for each worker's answer. */
  private ask<T extends FromWorker>(make: (i: number) => ToWorker, want: T['t']): Promise<T[]> {
    return Promise.all(
      this.procs.map(
        (p, i) =>
          new Promise<T>((res, rej) => {
            const on = (m: FromWorker): void => {
              if (m.t === 'failed') {
                p.off('message', on);
                rej(new Error(`generator ${i} failed: ${m.error}`));
              } else if (m.t === want) {
                p.off('message', on);
                res(m as T);
              }
            };
            p.on('message', on);
            p.send(make(i));
          }),
      ),
    );
  }

  setup(make: (i: number) => ToWorker): Promise<Extract<FromWorker, { t: 'ready' }>[]> {
    return this.ask(make, 'ready');
  }

  run(ratePerSec: number, durationMs: number): Promise<Result[]> {
    return this.ask(() => ({ t: 'run', ratePerSec: ratePerSec / this.procs.length, durationMs }), 'result');
  }

  stop(): void {
    for (const p of this.procs) p.kill('SIGKILL');
  }
}
