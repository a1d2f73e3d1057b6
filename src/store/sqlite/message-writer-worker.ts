import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessageBatchItem } from '../sql/message-batch.js';
import type { MessagesTable } from '../sql/schema.js';
import type { WriterReply, WriterRequest, WriterSetup } from './message-writer.js';

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

const insertMessage = db.prepare(
  `insert into messages (id, organization_id, cid, from_id, client_id, body, attachments, x, replied_message_id, forwarded_message_id, encrypted_message_type, t, created_at, updated_at)
   values (@id, @organization_id, @cid, @from_id, @client_id, @body, @attachments, @x, @replied_message_id, @forwarded_message_id, @encrypted_message_type, @t, @created_at, @updated_at)
   on conflict do nothing`,
);
const insertHidden = db.prepare('insert into message_hidden (mid, user_id, cid) values (@mid, @user_id, @cid) on conflict do nothing');
const insertPush = db.prepare('insert into push_outbox (id, organization_id, user_id, payload, attempts, next_attempt_at, created_at) values (@id, @organization_id, @user_id, @payload, 0, @created_at, @created_at)');
const touchConversation = db.prepare('update conversations set updated_at = ? where organization_id = ? and id = ? and updated_at < ?');
const findDuplicate = db.prepare('select * from messages where cid = ? and from_id = ? and client_id = ?');

const writeBatch = db.transaction((items: readonly MessageBatchItem[]): (MessagesTable | null)[] => {
  const results: (MessagesTable | null)[] = [];
  const newest = new Map<string, { org: string; at: number }>();
  for (const { row, hidden, pushes } of items) {
    if (insertMessage.run(row).changes === 1) {
      for (const h of hidden) insertHidden.run(h);
      for (const p of pushes) insertPush.run(p);
      const cur = newest.get(row.cid);
      if (!cur || cur.at < row.created_at) newest.set(row.cid, { org: row.organization_id, at: row.created_at });
      results.push(null);
      continue;
    }
    // Not inserted: a retry of a stored client id (or, improbably, an id clash).
    const existing = row.client_id === null ? undefined : (findDuplicate.get(row.cid, row.from_id, row.client_id) as MessagesTable | undefined);
    if (!existing) throw new Error(`message ${row.id} was neither inserted nor found`);
    results.push(existing);
  }
  for (const [cid, { org, at }] of newest) touchConversation.run(at, org, cid, at);
  return results;
});

parentPort?.on('message', (m: WriterRequest) => {
  if (m.t === 'close') {
    db.close();
    parentPort?.postMessage({ t: 'closed' } satisfies WriterReply);
    return;
  }
  try {
    // IMMEDIATE: take the write lock before the first statement, never upgrade a read lock.
    const results = writeBatch.immediate(m.items);
    parentPort?.postMessage({ t: 'done', id: m.id, results } satisfies WriterReply);
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    parentPort?.postMessage({ t: 'failed', id: m.id, message: String(e.message ?? err), code: typeof e.code === 'string' ? e.code : undefined } satisfies WriterReply);
  }
});
