import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { ALL_TABLES } from '../contract/fill.js';
import { openSqliteStore } from '../sqlite/index.js';
import { ORGANIZATION_TABLE_NAMES } from './admin.js';

it('organization deletion and the contract fixture cover every table of the schema', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-admin-tables-'));
  try {
    const store = await openSqliteStore({ dataDir: dir });
    await store.close();
    const db = new BetterSqlite3(join(dir, 'parley.db'), { readonly: true });
    // The full-text index (migration 15: an FTS5 table and its shadow tables) holds no rows of its
    // own: triggers on messages write and delete its entries, so deleting the messages empties it.
    const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> 'schema_migrations' and name <> 'message_search' and name not like 'message\\_search\\_%' escape '\\'").all() as { name: string }[]).map((r) => r.name).sort();
    db.close();
    assert.deepEqual(tables, [...ALL_TABLES], 'a new table needs a row in fillOrganization and a place in ALL_TABLES');
    assert.deepEqual([...ORGANIZATION_TABLE_NAMES].sort(), tables, 'a new table needs a place in ORGANIZATION_TABLES (store/sql/admin.ts)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
