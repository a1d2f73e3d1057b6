import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { migrate } from './migrate.js';
import { MIGRATIONS, forDialect } from './migrations.js';

describe('migration 15 (search index) on SQLite', () => {
  it('indexes the messages stored before it, except encrypted ones', async () => {
    const raw = new Database(':memory:');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    await migrate(db, forDialect(MIGRATIONS.filter((m) => m.version < 15), 'sqlite'));
    raw.exec(`insert into organizations (id, name, created_at, updated_at) values ('o', 'o', 1, 1)`);
    const conv = raw.prepare(`insert into conversations (id, organization_id, type, owner_id, is_encrypted, created_at, updated_at) values (?, 'o', 'g', 'u', ?, 1, 1)`);
    conv.run('plain', 0);
    conv.run('secret', 1);
    const msg = raw.prepare(`insert into messages (id, organization_id, cid, from_id, body, encrypted_message_type, t, created_at, updated_at) values (?, 'o', ?, 'u', ?, ?, 1, 1, 1)`);
    msg.run('m1', 'plain', 'old harbour news', null);
    msg.run('m2', 'plain', 'harbour ciphertext', 1);
    msg.run('m3', 'secret', 'harbour in a secret chat', null);
    msg.run('m4', 'plain', null, null);
    await migrate(db, forDialect(MIGRATIONS, 'sqlite'));
    const found = (q: string): string[] => (raw.prepare(`select m.id from message_search s join messages m on m.rowid = -s.rowid where message_search match ? order by m.id`).all(q) as { id: string }[]).map((r) => r.id);
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
