import type BetterSqlite3 from 'better-sqlite3';

/**
 * Moves queued messages (message_search_pending, migration 20) into the FTS5 index, a chunk per
 * transaction. Used by the message writer thread on its own connection; every call is a write
 * transaction of its own, so it must not run inside another.
 *
 * The rule for what is indexed is migration 15's: a message with a body, without
 * encrypted_message_type, outside encrypted conversations. A queued message that no longer
 * qualifies (edited to an empty body, say) just leaves the queue.
 */
export class SearchIndexer {
  private readonly bound: BetterSqlite3.Statement<[number], { mrow: number | null }>;
  private readonly index: BetterSqlite3.Statement<[number]>;
  private readonly dequeue: BetterSqlite3.Statement<[number]>;
  private readonly any: BetterSqlite3.Statement<[], unknown>;
  private readonly chunk: BetterSqlite3.Transaction<(limit: number) => number>;

  constructor(db: BetterSqlite3.Database) {
    // The highest queued rowid among the first `limit`: everything up to it is this chunk.
    this.bound = db.prepare('select max(mrow) as mrow from (select mrow from message_search_pending order by mrow limit ?)');
    // Newest first, so the index's rowids (negated) ascend: FTS5 flushes what it has gathered
    // whenever a rowid is not above the previous one in a transaction, which in message order
    // would be once per row (docs/benchmarks.md, Round three).
    this.index = db.prepare(`insert into message_search (rowid, body, scope)
      select -m.rowid, m.body, m.cid from message_search_pending p join messages m on m.rowid = p.mrow
      where p.mrow <= ? and m.encrypted_message_type is null and m.body is not null and m.body <> ''
        and not exists (select 1 from conversations c where c.id = m.cid and c.is_encrypted <> 0)
      order by p.mrow desc`);
    this.dequeue = db.prepare('delete from message_search_pending where mrow <= ?');
    this.any = db.prepare('select 1 from message_search_pending limit 1');
    this.chunk = db.transaction((limit: number): number => {
      const upTo = this.bound.get(limit)?.mrow;
      if (upTo === null || upTo === undefined) return 0;
      this.index.run(upTo);
      return this.dequeue.run(upTo).changes;
    });
  }

  /** True when some message waits to be indexed. */
  pending(): boolean {
    return this.any.get() !== undefined;
  }

  /**
   * Indexes up to `limit` queued messages in one transaction (taking the write lock first);
   * returns how many left the queue, 0 when it was empty.
   */
  step(limit: number): number {
    return this.chunk.immediate(limit);
  }

  /** Indexes everything queued, `limit` per transaction; returns how many left the queue. */
  drain(limit: number): number {
    let total = 0;
    for (let n = this.step(limit); n > 0; n = this.step(limit)) total += n;
    return total;
  }
}
