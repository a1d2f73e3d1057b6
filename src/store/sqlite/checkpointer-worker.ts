import BetterSqlite3 from 'better-sqlite3';
import { fdatasyncSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerSetup } from './checkpointer.js';

/**
 * The checkpoint thread: every interval it copies the WAL into the database file with a PASSIVE
 * checkpoint, which never waits for, nor blocks, readers or writers, then tells the message
 * writer thread, which copies what was committed meanwhile (see message-writer-worker.ts).
 *
 * A checkpoint that does not reach the end of the WAL (this one never does beside a busy writer)
 * does not sync the database file; SQLite syncs it only when a checkpoint completes, which here
 * is the writer's tail copy. That sync then flushed every page this thread had copied: 5–15 ms
 * once a second on the writer thread, which every message arriving meanwhile waited for
 * (docs/benchmarks.md, Round three). So this thread flushes the file itself after copying, and
 * the writer's sync finds only the tail left. Safety does not rest on it: SQLite still syncs the
 * file before the WAL can start over.
 */
const setup = workerData as CheckpointerSetup;
const db = new BetterSqlite3(setup.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    fdatasyncSync(setup.syncFd);
    setup.writer.postMessage('copied');
  } catch {
    // A checkpoint that could not run (e.g. the file busy past busy_timeout) copies nothing, and
    // a failed flush leaves it to SQLite's own sync; the next interval tries again. Nothing is
    // lost: the pages stay in the WAL meanwhile.
  }
}, setup.intervalMs);

parentPort?.on('message', (m: { t: 'close' }) => {
  if (m.t !== 'close') return;
  clearInterval(timer);
  setup.writer.close();
  db.close();
  parentPort?.postMessage({ t: 'closed' });
});
