import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freshOrg, makeUser } from '../contract/harness.js';
import type { Store } from '../store.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(checkpointIntervalMs: number): Promise<{ store: Store; dbBytes: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ckpt-'));
  dirs.push(dir);
  const store = await openSqliteStore({ dataDir: dir, checkpointIntervalMs });
  return { store, dbBytes: () => statSync(join(dir, 'parley.db')).size };
}

/** Writes through the event-loop connection: 600 commits, more WAL pages than SQLite's default checkpoint threshold (1,000). */
async function fill(store: Store): Promise<void> {
  const org = await freshOrg(store);
  for (let i = 0; i < 600; i++) await makeUser(store, org, { first_name: 'x'.repeat(200) });
}

describe('SQLite checkpoints', () => {
  it('never checkpoint on the event-loop connection: its commits stay in the WAL', async () => {
    const { store, dbBytes } = await open(600_000);
    try {
      // Let the writer thread's first checkpoint of the migrations pass.
      await new Promise((r) => setTimeout(r, 100));
      const before = dbBytes();
      await fill(store);
      assert.equal(dbBytes(), before);
    } finally {
      await store.close();
    }
  });

  it('are made by the writer thread on its timer, for what the event-loop connection wrote', async () => {
    const { store, dbBytes } = await open(100);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = dbBytes();
      await fill(store);
      const deadline = Date.now() + 5000;
      while (dbBytes() <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(dbBytes() >= before + 64 * 1024, `database file ${before} → ${dbBytes()} bytes`);
    } finally {
      await store.close();
    }
  });
});
