import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerSetup } from './checkpointer.js';

/**
 * The checkpoint thread: every interval it copies the WAL into the database file with a PASSIVE
 * checkpoint, which never waits for, nor blocks, readers or writers, then tells the message
 * writer thread, which copies what was committed meanwhile (see message-writer-worker.ts).
 */
const setup = workerData as CheckpointerSetup;
const db = new BetterSqlite3(setup.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    setup.writer.postMessage('copied');
  } catch {
    // A checkpoint that could not run (e.g. the file busy past busy_timeout) copies nothing;
    // the next interval tries again. Nothing is lost: the pages stay in the WAL meanwhile.
  }
}, setup.intervalMs);

parentPort?.on('message', (m: { t: 'close' }) => {
  if (m.t !== 'close') return;
  clearInterval(timer);
  setup.writer.close();
  db.close();
  parentPort?.postMessage({ t: 'closed' });
});
