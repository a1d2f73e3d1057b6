import type { MessagePort, Worker } from 'node:worker_threads';
import type { MessageBatchWriter } from '../sql/message-batch.js';
import type { MessagesTable } from '../sql/schema.js';
import { encodeBatch, type FlatBatch } from './batch-codec.js';
import { startThread } from './threads.js';

/** What the writer thread is started with. */
export interface WriterSetup {
  readonly file: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** The WAL file is cut back to this size when it starts over after growing past it. */
  readonly walSizeLimitBytes: number;
  /** Where the checkpoint thread says it has copied the WAL (see checkpointer.ts). */
  readonly checkpoints: MessagePort;
}
/** Main thread → writer thread. */
export type WriterRequest = { t: 'write'; id: number; batch: FlatBatch } | { t: 'index'; id: number } | { t: 'close' };
/** Writer thread → main thread. */
export type WriterReply = { t: 'done'; id: number; results: (MessagesTable | null)[] } | { t: 'failed'; id: number; message: string; code: string | undefined } | { t: 'closed' };

/** An error raised in the writer thread, with SQLite's code kept for the dialect's checks. */
export class WriterError extends Error {
  override name = 'WriterError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Message batches for the embedded store are written by a worker thread with its own
 * connection (see message-writer-worker.ts). One batch is in the thread at a time (the group
 * committer waits for each), and each promise settles after that batch's COMMIT.
 */
export class SqliteMessageWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (r: (MessagesTable | null)[]) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(setup: WriterSetup) {
    this.worker = startThread('message-writer-worker', setup, [setup.checkpoints]);
    this.worker.on('message', (m: WriterReply) => {
      if (m.t === 'closed') {
        this.onClosed?.();
        return;
      }
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.t === 'done') w?.resolve(m.results);
      else w?.reject(new WriterError(m.message, m.code));
    });
    const fail = (err: Error): void => {
      this.failure = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.onClosed?.();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`message writer thread exited (${code})`)));
  }

  /** The batch writer for SqlMessageStore. */
  readonly write: MessageBatchWriter = (items) =>
    new Promise((resolve, reject) => {
      if (this.failure || this.closed) return reject(this.failure ?? new Error('message writer closed'));
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ t: 'write', id, batch: encodeBatch(items) } satisfies WriterRequest);
    });

  /**
   * Resolves once every message committed before the call is in the search index (the thread
   * indexes after commits, between batches; see search-indexer.ts).
   */
  readonly searchIndexCatchUp = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (this.failure || this.closed) return reject(this.failure ?? new Error('message writer closed'));
      const id = this.nextId++;
      this.waiting.set(id, { resolve: () => resolve(), reject });
      this.worker.postMessage({ t: 'index', id } satisfies WriterRequest);
    });

  /** Closes the thread's connection and ends it (after the batches already sent). */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.failure) return resolve();
      this.onClosed = resolve;
      this.worker.postMessage({ t: 'close' } satisfies WriterRequest);
    }).then(() => this.worker.terminate().then(() => undefined));
    return this.closed;
  }
}
