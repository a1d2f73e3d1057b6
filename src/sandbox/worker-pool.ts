import { Worker } from 'node:worker_threads';
import type { SandboxReply, SandboxRequest } from './sandbox-worker.js';
import type { HandlerJob, HandlerOutcome, SandboxLimits, ScriptSandbox } from './sandbox.js';

export interface PoolOptions {
  /** Threads running scripts, one script each at a time; all are started on first use. */
  readonly size: number;
  readonly limits: SandboxLimits;
  /**
   * How long past its time limit a run may go before its thread is terminated (QuickJS checks
   * its deadline only between bytecodes; a long host call such as a huge allocation or regular
   * expression is stopped this way).
   */
  readonly graceMs?: number;
  /** Longest wait for a busy thread before a run fails as 'unavailable' (ms; default: the time limit). */
  readonly maxWaitMs?: number;
  /** Told when a thread was terminated or died (for logs). */
  readonly onThreadLost?: (reason: string) => void;
}

type Task =
  | { readonly t: 'run'; readonly job: HandlerJob; readonly done: (o: HandlerOutcome) => void; queuedAt: number; timer?: NodeJS.Timeout }
  | { readonly t: 'check'; readonly source: string; readonly done: (error: string | undefined) => void; readonly failed: (err: Error) => void; queuedAt: number; timer?: NodeJS.Timeout };

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  task?: Task;
  taskId?: number;
  killTimer?: NodeJS.Timeout;
}

/** Waiting tasks per thread beyond which new ones are refused at once. */
const QUEUE_PER_THREAD = 64;

/** Starts the sandbox thread: the built .js, or the .ts source under tsx (tests, `npm run dev`). */
function startSandboxThread(limits: SandboxLimits): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./sandbox-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);
  // A bounded host heap for FETCH bodies and verdicts; scripts live in QuickJS's own limited heap.
  const options = { workerData: limits, resourceLimits: { maxOldGenerationSizeMb: 128, stackSizeMb: 4 } };
  if (!fromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * Runs handler scripts on a pool of worker threads (design.md: a busy handler never blocks the
 * event loop). Each thread runs one script at a time; waiting tasks are served in arrival order.
 * A run that passes its time limit by `graceMs` has its thread terminated and replaced, so a
 * script can hold a thread for at most that long. A task that waits longer than `maxWaitMs` for
 * a free thread, or finds the queue full, fails as 'unavailable' instead of waiting on: the
 * message's sender then hears at once rather than after everyone queued before. Ordering within
 * a conversation is the caller's (the dispatcher's per-conversation pipeline waits for each run).
 */
export class WorkerSandbox implements ScriptSandbox {
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {}

  run(job: HandlerJob): Promise<HandlerOutcome> {
    return new Promise((done) => this.submit({ t: 'run', job, done, queuedAt: Date.now() }));
  }

  check(source: string): Promise<string | undefined> {
    return new Promise((done, failed) => this.submit({ t: 'check', source, done, failed, queuedAt: Date.now() }));
  }

  /** Threads currently started (for tests and metrics). */
  get threads(): number {
    return this.slots.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) this.fail(task, 'the sandbox is shut down');
    const slots = [...this.slots];
    this.slots.clear();
    for (const s of slots) {
      clearTimeout(s.killTimer);
      if (s.task) this.fail(s.task, 'the sandbox is shut down');
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private submit(task: Task): void {
    if (this.closed) return this.fail(task, 'the sandbox is shut down');
    if (this.queue.length >= this.opts.size * QUEUE_PER_THREAD) return this.fail(task, 'too many handler runs are waiting');
    this.queue.push(task);
    this.pump();
  }

  /**
   * Hands waiting tasks to idle threads and starts threads (up to the pool size) for the rest.
   * A task that still has to wait for a busy thread gets its waiting limit; waiting for a thread
   * to start does not count (it takes a moment the first time, and no run is in the way).
   */
  private pump(): void {
    for (;;) {
      const idle = this.queue.length > 0 ? [...this.slots].find((s) => s.ready && !s.task) : undefined;
      if (!idle) break;
      const task = this.queue.shift() as Task;
      clearTimeout(task.timer);
      this.assign(idle, task);
    }
    if (this.queue.length === 0) return;
    let starting = [...this.slots].filter((s) => !s.ready).length;
    // The first use starts the whole pool: a script that spins on the first thread must not
    // make the next conversation wait for a thread to start.
    const wanted = this.slots.size === 0 ? this.opts.size : this.queue.length;
    while (this.slots.size < this.opts.size && starting < wanted) {
      this.spawn();
      starting += 1;
    }
    if (starting > 0) return;
    const wait = this.opts.maxWaitMs ?? this.opts.limits.timeoutMs;
    for (const task of this.queue) {
      task.timer ??= setTimeout(() => {
        const i = this.queue.indexOf(task);
        if (i < 0) return;
        this.queue.splice(i, 1);
        this.fail(task, `no sandbox thread was free within ${String(wait)} ms`);
      }, wait);
    }
  }

  private assign(slot: Slot, task: Task): void {
    const id = this.nextId++;
    slot.task = task;
    slot.taskId = id;
    const { timeoutMs } = this.opts.limits;
    const grace = this.opts.graceMs ?? 250;
    // A syntax check gets the same bound: parsing a hostile script must not hold a thread either.
    slot.killTimer = setTimeout(() => this.kill(slot, `the handler ran past its time limit (${String(timeoutMs)} ms); its thread was stopped`), timeoutMs + grace);
    const request: SandboxRequest = task.t === 'run' ? { t: 'run', id, job: task.job } : { t: 'check', id, source: task.source };
    slot.worker.postMessage(request);
  }

  private spawn(): void {
    const worker = startSandboxThread(this.opts.limits);
    const slot: Slot = { worker, ready: false };
    this.slots.add(slot);
    worker.on('message', (m: SandboxReply) => {
      if (m.t === 'ready') {
        slot.ready = true;
        this.pump();
        return;
      }
      if (m.id !== slot.taskId || !slot.task) return;
      const task = slot.task;
      clearTimeout(slot.killTimer);
      slot.task = undefined;
      slot.taskId = undefined;
      if (task.t === 'run' && m.t === 'ran') task.done(m.outcome);
      else if (task.t === 'check' && m.t === 'checked') task.done(m.error);
      this.pump();
    });
    const lost = (reason: string): void => {
      if (!this.slots.delete(slot)) return;
      clearTimeout(slot.killTimer);
      this.opts.onThreadLost?.(reason);
      if (slot.task) this.fail(slot.task, reason, 'unavailable');
      else if (!slot.ready && this.queue.length > 0) {
        // A thread that cannot even start would be restarted for ever: the oldest waiting task fails instead.
        const task = this.queue.shift() as Task;
        clearTimeout(task.timer);
        this.fail(task, reason);
      }
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => lost(`sandbox thread failed: ${err.message}`));
    worker.on('exit', (code) => lost(`sandbox thread exited (${String(code)})`));
  }

  /** Terminates a thread whose run overstayed; its task fails as a timeout. */
  private kill(slot: Slot, reason: string): void {
    if (!this.slots.delete(slot)) return;
    const task = slot.task;
    slot.task = undefined;
    this.opts.onThreadLost?.(reason);
    void slot.worker.terminate();
    if (task) this.fail(task, reason, 'timeout');
    this.pump();
  }

  private fail(task: Task, detail: string, failure: 'unavailable' | 'timeout' = 'unavailable'): void {
    clearTimeout(task.timer);
    if (task.t === 'run') task.done({ ok: false, failure, detail, ms: Date.now() - task.queuedAt });
    else task.failed(new Error(`the syntax check could not run: ${detail}`));
  }
}
