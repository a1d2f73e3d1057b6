import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { migrate } from './migrate.js';
import { MIGRATIONS, forDialect } from './migrations.js';
import { SearchIndexer } from '../sqlite/search-indexer.js';

/**
 * An in-memory SQLite database migrated to just before `version`, with organization 'o', a plain
 * conversation 'plain' and an encrypted one 'secret', and `msg` to insert messages (id, cid,
 * body, encrypted_message_type); `found` lists the ids a search index query matches.
 */
async function before(version: number): Promise<{ raw: Database.Database; db: Kysely<unknown>; msg: Database.Statement; found: (q: string) => string[] }> {
  const raw = new Database(':memory:');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  await migrate(db, forDialect(MIGRATIONS.filter((m) => m.version < version), 'sqlite'));
  raw.exec(`insert into organizations (id, name, created_at, updated_at) values ('o', 'o', 1, 1)`);
  const conv = raw.prepare(`insert into conversations (id, organization_id, type, owner_id, is_encrypted, created_at, updated_at) values (?, 'o', 'g', 'u', ?, 1, 1)`);
  conv.run('plain', 0);
  conv.run('secret', 1);
  const msg = raw.prepare(`insert into messages (id, organization_id, cid, from_id, body, encrypted_message_type, t, created_at, updated_at) values (?, 'o', ?, 'u', ?, ?, 1, 1, 1)`);
  const found = (q: string): string[] => (raw.prepare(`select m.id from message_search s join messages m on m.rowid = -s.rowid where message_search match ? order by m.id`).all(q) as { id: string }[]).map((r) => r.id);
  return { raw, db, msg, found };
}

describe('migration 15 (search index) on SQLite', () => {
  it('indexes the messages stored before it, except encrypted ones', async () => {
    const { raw, db, msg, found } = await before(15);
    msg.run('m1', 'plain', 'old harbour news', null);
    msg.run('m2', 'plain', 'harbour ciphertext', 1);
    msg.run('m3', 'secret', 'harbour in a secret chat', null);
    msg.run('m4', 'plain', null, null);
    await migrate(db, forDialect(MIGRATIONS.filter((m) => m.version < 20), 'sqlite'));
    assert.deepEqual(found('{body}: harbour'), ['m1']);
    // and new writes follow through the triggers
    msg.run('m5', 'plain', 'new harbour', null);
    raw.prepare(`update messages set body = 'renamed' where id = 'm1'`).run();
    assert.deepEqual(found('{body}: harbour'), ['m5']);
    raw.prepare(`delete from messages where id = 'm5'`).run();
    raw.prepare(`delete from messages where id = 'm2'`).run();
    assert.deepEqual(found('{body}: harbour'), []);
    assert.deepEqual(found('{body}: renamed'), ['m1']);
    assert.equal((await sql<{ n: number }>`select count(*) as n from message_search`.execute(db)).rows[0]?.n, 1);
    await db.destroy();
  });
});

describe('migration 20 (search indexing after the commit) on SQLite', () => {
  const setUp = async (): Promise<{ raw: Database.Database; db: Kysely<unknown>; msg: Database.Statement; found: (q: string) => string[]; queued: () => number[] }> => {
    const { raw, db, msg, found } = await before(20);
    msg.run('m1', 'plain', 'old harbour news', null);
    await migrate(db, forDialect(MIGRATIONS, 'sqlite'));
    const queued = (): number[] => (raw.prepare('select mrow from message_search_pending order by mrow').all() as { mrow: number }[]).map((r) => r.mrow);
    return { raw, db, msg, found, queued };
  };

  it('keeps what migration 15 indexed and queues new messages instead of indexing them in their commit', async () => {
    const { raw, db, msg, found, queued } = await setUp();
    assert.deepEqual(found('{body}: harbour'), ['m1']);
    msg.run('m2', 'plain', 'new harbour', null);
    msg.run('m3', 'plain', 'harbour ciphertext', 1);
    msg.run('m4', 'plain', '', null);
    msg.run('m5', 'secret', 'harbour in a secret chat', null);
    assert.deepEqual(found('{body}: harbour'), ['m1'], 'not indexed by the insert');
    // Only the cheap tests are in the trigger: the encrypted conversation's message is queued and left out by the indexer.
    assert.equal(queued().length, 2);
    assert.equal(new SearchIndexer(raw).drain(256), 2);
    assert.deepEqual(found('{body}: harbour'), ['m1', 'm2']);
    assert.deepEqual(queued(), []);
    await db.destroy();
  });

  it('indexes a message edited while queued once, with its new body; an indexed one is re-indexed at once', async () => {
    const { raw, db, msg, found, queued } = await setUp();
    msg.run('m2', 'plain', 'first draft', null);
    raw.prepare(`update messages set body = 'second draft' where id = 'm2'`).run();
    assert.deepEqual(found('{body}: draft'), [], 'a queued message is left to the indexer');
    new SearchIndexer(raw).drain(256);
    assert.deepEqual(found('{body}: second'), ['m2']);
    assert.deepEqual(found('{body}: first'), []);
    raw.prepare(`update messages set body = 'old lighthouse news' where id = 'm1'`).run();
    assert.deepEqual(found('{body}: lighthouse'), ['m1']);
    assert.deepEqual(found('{body}: harbour'), []);
    assert.equal((raw.prepare('select count(*) as n from message_search').get() as { n: number }).n, 2);
    assert.deepEqual(queued(), []);
    await db.destroy();
  });

  it('drops a deleted message from the queue, so a message that takes its rowid is indexed with its own body', async () => {
    const { raw, db, msg, found, queued } = await setUp();
    msg.run('m2', 'plain', 'gone tomorrow', null);
    const [row] = queued();
    raw.prepare(`delete from messages where id = 'm2'`).run();
    assert.deepEqual(queued(), []);
    msg.run('m3', 'plain', 'here today', null);
    assert.deepEqual(queued(), [row as number], 'the newest row was deleted, so its rowid is given again');
    const indexer = new SearchIndexer(raw);
    assert.equal(indexer.pending(), true);
    indexer.drain(256);
    assert.equal(indexer.pending(), false);
    assert.deepEqual(found('{body}: today'), ['m3']);
    assert.deepEqual(found('{body}: gone'), []);
    await db.destroy();
  });

  it('indexes in chunks of the given size, oldest first', async () => {
    const { raw, db, msg, found, queued } = await setUp();
    for (let i = 0; i < 10; i++) msg.run(`n${i}`, 'plain', `note ${i}`, null);
    const indexer = new SearchIndexer(raw);
    assert.equal(indexer.step(4), 4);
    assert.deepEqual(found('{body}: note'), ['n0', 'n1', 'n2', 'n3']);
    assert.equal(queued().length, 6);
    assert.equal(indexer.drain(4), 6);
    assert.equal(indexer.step(4), 0);
    assert.equal(found('{body}: note').length, 10);
    await db.destroy();
  });
});
