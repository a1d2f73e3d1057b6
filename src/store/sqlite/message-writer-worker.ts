import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagesTable } from '../sql/schema.js';
import { AT, MESSAGE_COLUMNS, MESSAGE_WIDTH, PUSH_COLUMNS, PUSH_WIDTH, readBatch, type FlatBatch } from './batch-codec.js';
import type { WriterReply, WriterRequest, WriterSetup } from './message-writer.js';
import { SearchIndexer } from './search-indexer.js';

/**
 * The SQLite message writer thread: owns its own connection and writes group-commit batches with
 * prepared statements, so the commit's fsync and the inserts run beside the event loop instead
 * of stopping it. Replies only after COMMIT returned (synchronous=FULL: on disk).
 */
const setup = workerData as WriterSetup;
const db = new BetterSqlite3(setup.file);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${setup.synchronous}`);
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
// No commit checkpoints (see checkpointer.ts). When the checkpoint thread has copied the WAL,
// this thread copies the few pages committed while it did, between two batches: then the whole
// WAL is in the database file and the next commit starts the WAL file over, which a checkpoint
// running beside a busy writer never reaches on its own.
db.pragma('wal_autocheckpoint = 0');
db.pragma(`journal_size_limit = ${setup.walSizeLimitBytes}`);
setup.checkpoints.on('message', () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Only the tail copy failed; the next round of the checkpoint thread does it again.
  }
});
setup.checkpoints.unref();

const insertMessage = db.prepare(
  `insert into messages (${MESSAGE_COLUMNS.join(', ')}) values (${MESSAGE_COLUMNS.map(() => '?').join(', ')}) on conflict do nothing`,
);
const insertHidden = db.prepare('insert into message_hidden (mid, user_id, cid) values (?, ?, ?) on conflict do nothing');
const insertPush = db.prepare(`insert into push_outbox (${PUSH_COLUMNS.join(', ')}, attempts, next_attempt_at) values (?, ?, ?, ?, ?, 0, ?)`);
const insertInbox = db.prepare('insert into encrypted_inbox (user_id, device_id, cid, mid, expires_at) values (?, ?, ?, ?, ?) on conflict do nothing');
const touchConversation = db.prepare('update conversations set updated_at = ? where organization_id = ? and id = ? and updated_at < ?');
const findDuplicate = db.prepare('select * from messages where cid = ? and from_id = ? and client_id = ?');

/** Messages inserted by this thread since its last index step (the indexer's queue, roughly). */
let unindexed = 0;

const writeBatch = db.transaction((flat: FlatBatch): (MessagesTable | null)[] => {
  const results: (MessagesTable | null)[] = [];
  const newest = new Map<string, { org: string; at: number }>();
  for (const { at, hiddenAt, hiddenCount, pushAt, pushCount, inboxAt, inboxCount } of readBatch(flat)) {
    const id = flat[at + AT.id];
    const cid = flat[at + AT.cid] as string;
    if (insertMessage.run(flat.slice(at, at + MESSAGE_WIDTH)).changes === 1) {
      for (let k = hiddenAt; k < hiddenAt + hiddenCount; k++) insertHidden.run(id, flat[k], cid);
      for (let k = pushAt; k < pushAt + pushCount * PUSH_WIDTH; k += PUSH_WIDTH) insertPush.run(flat[k], flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4], flat[k + 4]);
      for (let k = inboxAt + 1; k < inboxAt + 1 + 2 * inboxCount; k += 2) insertInbox.run(flat[k], flat[k + 1], cid, id, flat[inboxAt]);
      const created = flat[at + AT.created_at] as number;
      const cur = newest.get(cid);
      if (!cur || cur.at < created) newest.set(cid, { org: flat[at + AT.organization_id] as string, at: created });
      results.push(null);
      unindexed++;
      continue;
    }
    // Not inserted: a retry of a stored client id (or, improbably, an id clash).
    const clientId = flat[at + AT.client_id];
    const existing = clientId === null ? undefined : (findDuplicate.get(cid, flat[at + AT.from_id], clientId) as MessagesTable | undefined);
    if (!existing) throw new Error(`message ${String(id)} was neither inserted nor found`);
    results.push(existing);
  }
  for (const [cid, { org, at }] of newest) touchConversation.run(at, org, cid, at);
  return results;
});

// Search indexing (migration 20): committed messages wait in message_search_pending and are
// indexed here between batches, INDEX_CHUNK per transaction in FTS5's ascending order, so FTS5
// flushes once per few hundred messages instead of once per message. A step runs once the
// thread has been idle IDLE_MS after a batch (under load the group committer leaves such gaps)
// and INDEX_MIN messages are queued or the oldest has waited INDEX_MAX_WAIT_MS; a backlog of
// INDEX_FORCE runs one without waiting for a gap. A search first asks for the rest ('index').
//
// IDLE_MS is 1, not 2: the group committer starts a batch every 4 ms under load, and a batch
// takes about 0.7 ms, so a step (about 1 ms) that starts 1 ms after the batch ends some 2.7 ms
// into the interval instead of 3.7, and a slow one holds up the next batch less often. A batch
// that arrives within the 1 ms still goes first. (docs/benchmarks.md, Round three: at 3,000
// msg/s, p95 lower in 5 of 6 alternating pairs, p50 lower or equal in all 6, p99 lower in 4.)
const indexer = new SearchIndexer(db);
const INDEX_CHUNK = 256;
const INDEX_MIN = 64;
const INDEX_MAX_WAIT_MS = 500;
const INDEX_FORCE = 2048;
const IDLE_MS = 1;
/** When `unindexed` last went above 0. */
let unindexedSince = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** One chunk; false when it failed (busy, or worse), which the queue survives. */
function indexStep(): boolean {
  let n: number;
  try {
    n = indexer.step(INDEX_CHUNK);
  } catch {
    return false;
  }
  // A short chunk emptied the queue.
  unindexed = n < INDEX_CHUNK ? 0 : Math.max(1, unindexed - n);
  return true;
}

/** Ms until a step is due (0: now): INDEX_MIN queued, or the oldest has waited INDEX_MAX_WAIT_MS. */
function untilStepDue(): number {
  if (unindexed >= INDEX_MIN) return 0;
  return Math.max(0, INDEX_MAX_WAIT_MS - (performance.now() - unindexedSince));
}

function onIdle(): void {
  idleTimer = undefined;
  if (unindexed === 0) return;
  const due = untilStepDue();
  if (due > 0) return armIdle(due);
  // After a failure, wait before the next try instead of retrying at every gap.
  if (!indexStep()) return armIdle(INDEX_MAX_WAIT_MS);
  if (unindexed > 0) armIdle(IDLE_MS);
}

function armIdle(delayMs: number): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = setTimeout(onIdle, delayMs);
  idleTimer.unref();
}

/**
 * After a batch: notes when the queue started, forces a step on a backlog, waits for a gap. Below
 * INDEX_MIN and before the oldest message's deadline, a gap would run no step, so the thread
 * sleeps until that deadline instead of waking IDLE_MS after every batch (that was a third
 * thread wake-up per batch, docs/benchmarks.md "What a batch costs").
 */
function afterBatch(queuedBefore: number): void {
  if (unindexed === 0) return;
  if (queuedBefore === 0) unindexedSince = performance.now();
  if (unindexed >= INDEX_FORCE) indexStep();
  if (unindexed === 0) return;
  const due = untilStepDue();
  if (due === 0) armIdle(IDLE_MS);
  else if (idleTimer === undefined) armIdle(due);
}

// Messages queued by other connections (the importer, the admin CLI) or before a restart are
// found by a look at the queue every second.
const sweep = setInterval(() => {
  try {
    if (unindexed > 0 || !indexer.pending()) return;
  } catch {
    return;
  }
  unindexed = INDEX_MIN;
  unindexedSince = performance.now();
  armIdle(IDLE_MS);
}, 1000);
sweep.unref();

parentPort?.on('message', (m: WriterRequest) => {
  if (m.t === 'close') {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    clearInterval(sweep);
    setup.checkpoints.close();
    db.close();
    parentPort?.postMessage({ t: 'closed' } satisfies WriterReply);
    return;
  }
  try {
    if (m.t === 'index') {
      indexer.drain(INDEX_CHUNK);
      unindexed = 0;
      parentPort?.postMessage({ t: 'done', id: m.id, results: [] } satisfies WriterReply);
      return;
    }
    // IMMEDIATE: take the write lock before the first statement, never upgrade a read lock.
    const queuedBefore = unindexed;
    const results = writeBatch.immediate(m.batch);
    parentPort?.postMessage({ t: 'done', id: m.id, results } satisfies WriterReply);
    afterBatch(queuedBefore);
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    parentPort?.postMessage({ t: 'failed', id: m.id, message: String(e.message ?? err), code: typeof e.code === 'string' ? e.code : undefined } satisfies WriterReply);
  }
});
