import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { freshOrg, makeUser } from '../contract/harness.js';
import type { Store } from '../store.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(checkpointIntervalMs: number): Promise<{ store: Store; dbBytes: () => number; walBytes: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ckpt-'));
  dirs.push(dir);
  const store = await openSqliteStore({ dataDir: dir, checkpointIntervalMs });
  return { store, dbBytes: () => statSync(join(dir, 'parley.db')).size, walBytes: () => statSync(join(dir, 'parley.db-wal')).size };
}

/** Writes `batches` group commits of 25 messages through the writer thread. */
async function messages(store: Store, org: string, batches: number): Promise<void> {
  const owner = newId();
  const conv = await store.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }]);
  for (let batch = 0; batch < batches; batch++) {
    await Promise.all(
      Array.from({ length: 25 }, () => {
        const at = Date.now();
        return store.messages.insert({ _id: newId(), organization_id: org, cid: conv._id, from: owner, client_id: null, body: 'y'.repeat(1000), attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: at, updated_at: at });
      }),
    );
  }
}

describe('SQLite checkpoints', () => {
  it('are never made by a commit: what both connections write stays in the WAL', async () => {
    const { store, dbBytes } = await open(600_000);
    try {
      const before = dbBytes();
      // 600 commits on the event loop's connection and 40 batches on the writer thread's: more
      // WAL pages than SQLite's default automatic checkpoint (1,000 pages).
      const org = await freshOrg(store);
      for (let i = 0; i < 600; i++) await makeUser(store, org, { first_name: 'x'.repeat(200) });
      await messages(store, org, 40);
      assert.equal(dbBytes(), before);
    } finally {
      await store.close();
    }
  });

  it('are made by the checkpoint thread on its timer', async () => {
    const { store, dbBytes } = await open(100);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = dbBytes();
      const org = await freshOrg(store);
      for (let i = 0; i < 300; i++) await makeUser(store, org, { first_name: 'x'.repeat(200) });
      const deadline = Date.now() + 5000;
      while (dbBytes() < before + 64 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(dbBytes() >= before + 64 * 1024, `database file ${before} → ${dbBytes()} bytes`);
    } finally {
      await store.close();
    }
  });

  it('let the WAL file start over while messages keep being written', async () => {
    const { store, dbBytes, walBytes } = await open(50);
    try {
      // About 5 MB of messages without a pause: a checkpoint beside a writer that never stops
      // would leave every page in an ever longer WAL.
      await messages(store, await freshOrg(store), 200);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(dbBytes() > 4 * 2 ** 20, `database file ${dbBytes()} bytes`);
      assert.ok(walBytes() < dbBytes() / 2, `WAL ${walBytes()} bytes beside a database of ${dbBytes()}`);
    } finally {
      await store.close();
    }
  });

  it("keep the checkpoint thread's descriptor of the database file open until every connection is closed, and no longer", async () => {
    // Closing any descriptor of a file drops the process's POSIX locks on it, SQLite's too: the
    // descriptor the checkpoint thread flushes through is closed only after the connections.
    const { store } = await open(50);
    const dir = dirs[dirs.length - 1] as string;
    const dbFile = join(dir, 'parley.db');
    const descriptors = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === dbFile;
        } catch {
          return false;
        }
      }).length;
    // At least the event loop's connection and the flush descriptor (the threads open theirs as they start).
    assert.ok(descriptors() >= 2, `${descriptors()} descriptors of the database file`);
    await messages(store, await freshOrg(store), 20);
    await new Promise((r) => setTimeout(r, 150));
    await store.close();
    assert.equal(descriptors(), 0);
  });
});
