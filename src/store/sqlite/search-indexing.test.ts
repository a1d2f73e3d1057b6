import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { newId } from '../../protocol/ids.js';
import { freshOrg } from '../contract/harness.js';
import type { Store } from '../store.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<{ store: Store; dir: string; queued: () => number; indexed: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-index-'));
  dirs.push(dir);
  const store = await openSqliteStore({ dataDir: dir });
  const count = (q: string): number => {
    const peek = new BetterSqlite3(join(dir, 'parley.db'), { readonly: true });
    try {
      return (peek.prepare(q).get() as { n: number }).n;
    } finally {
      peek.close();
    }
  };
  return { store, dir, queued: () => count('select count(*) as n from message_search_pending'), indexed: () => count('select count(*) as n from message_search') };
}

/** `n` messages in one conversation of a new organization, each insert committed by the writer thread. */
async function send(store: Store, n: number, body: (i: number) => string): Promise<{ org: string; owner: string; cid: string }> {
  const org = await freshOrg(store);
  const owner = newId();
  const conv = await store.conversations.create({ _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, [{ user_id: owner, role: 'owner' }]);
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const at = Date.now();
      return store.messages.insert({ _id: newId(), organization_id: org, cid: conv._id, from: owner, client_id: null, body: body(i), attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: at, updated_at: at });
    }),
  );
  return { org, owner, cid: conv._id };
}

async function until(what: string, done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('SQLite search indexing by the writer thread', () => {
  it('indexes committed messages after their commit, without a search asking', async () => {
    const { store, queued, indexed } = await open();
    try {
      await send(store, 300, (i) => `lantern ${i}`);
      // Committed (acknowledged) before indexing: some of the 300 may still be queued here.
      await until('the queue to empty', () => queued() === 0, 5000);
      assert.equal(indexed(), 300);
      // One message alone is indexed too, once it has waited its turn.
      await send(store, 1, () => 'single lantern');
      assert.equal(queued() + indexed(), 301);
      await until('the single message', () => indexed() === 301, 5000);
    } finally {
      await store.close();
    }
  });

  it('has a search find every message committed before it, however little was indexed', async () => {
    const { store, queued } = await open();
    try {
      const { org, owner } = await send(store, 40, (i) => (i % 2 === 0 ? `kettle ${i}` : `teapot ${i}`));
      // 40 is below the indexer's threshold, so right after the commits they are still queued.
      assert.ok(queued() > 0, 'messages queued before the search');
      const found = await store.search.newestMatches(org, owner, { phrases: [['kettle']], limit: 100 });
      assert.equal(found.length, 20);
      assert.equal(queued(), 0);
    } finally {
      await store.close();
    }
  });

  it('indexes what another connection stored while the server was down (the importer, the CLI)', async () => {
    const { store, dir } = await open();
    const { org, owner, cid } = await send(store, 1, () => 'first anchor');
    await store.close();
    const raw = new BetterSqlite3(join(dir, 'parley.db'));
    const insert = raw.prepare(`insert into messages (id, organization_id, cid, from_id, body, t, created_at, updated_at) values (?, ?, ?, ?, ?, 1, 1, 1)`);
    for (let i = 0; i < 10; i++) insert.run(newId(), org, cid, owner, `anchor ${i}`);
    raw.close();
    const reopened = await openSqliteStore({ dataDir: dir });
    try {
      const peek = (): number => {
        const r = new BetterSqlite3(join(dir, 'parley.db'), { readonly: true });
        try {
          return (r.prepare('select count(*) as n from message_search_pending').get() as { n: number }).n;
        } finally {
          r.close();
        }
      };
      await until('the queue to empty', () => peek() === 0, 5000);
      assert.equal((await reopened.search.newestMatches(org, owner, { phrases: [['anchor']], limit: 100 })).length, 11);
    } finally {
      await reopened.close();
    }
  });
});
