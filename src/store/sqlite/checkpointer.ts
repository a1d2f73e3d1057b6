import type { MessagePort, Worker } from 'node:worker_threads';
import { startThread } from './threads.js';

/** What the checkpoint thread is started with. */
export interface CheckpointerSetup {
  readonly file: string;
  /** Time between checkpoints, ms. */
  readonly intervalMs: number;
  /** The message writer thread's end of their channel. */
  readonly writer: MessagePort;
  /**
   * A descriptor of the database file, opened by the store, for the thread to flush what it
   * copied. The store closes it only after its every connection: closing any descriptor of a
   * file drops the process's POSIX locks on it, SQLite's among them.
   */
  readonly syncFd: number;
}

/**
 * Owns the WAL checkpoints of the embedded store; the connections that commit turn SQLite's
 * automatic checkpoints off. A checkpoint made by a commit stops that connection until it has
 * copied every page — tens of ms under load, which every message waiting on the writer thread
 * paid. Here the bulk is copied beside the writer, and the writer only copies the tail (see
 * checkpointer-worker.ts). Copying every few seconds (index.ts) rather than every 1,000 WAL pages
 * also writes each hot index page once a round instead of once every few commits
 * (docs/benchmarks.md).
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private closed: Promise<void> | undefined;

  constructor(setup: CheckpointerSetup) {
    this.worker = startThread('checkpointer-worker', setup, [setup.writer]);
    // The thread catches its checkpoints' errors; should it still die, the store keeps working
    // (pages stay in the WAL, which only grows), so it is reported, not allowed to end the process.
    this.worker.on('error', (err) => {
      process.emitWarning(`the SQLite checkpoint thread failed (${err.message}); the WAL will grow until Parley restarts`);
    });
  }

  /** Stops the thread after its current checkpoint, if any. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const done = (): void => resolve();
      this.worker.once('message', done);
      this.worker.once('exit', done);
      this.worker.postMessage({ t: 'close' });
    }).then(() => this.worker.terminate().then(() => undefined));
    return this.closed;
  }
}
