import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { newId } from '../../protocol/ids.js';
import { openSqliteStore } from './index.js';

it('opens without threads for short-lived tools: reads and writes work, message inserts are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-no-threads-'));
  try {
    const store = await openSqliteStore({ dataDir: dir, threads: false });
    const org = newId();
    await store.organizations.insert({ _id: org, name: 'tool', now: 1 });
    assert.equal((await store.organizations.byId(org))?.name, 'tool');
    const now = Date.now();
    await assert.rejects(
      store.messages.insert({ _id: newId(), organization_id: org, cid: newId(), from: newId(), client_id: null, body: 'x', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: now, updated_at: now }),
      /opened without its writer thread/,
    );
    await store.close();
    // The same file opens with threads afterwards.
    const full = await openSqliteStore({ dataDir: dir });
    assert.equal((await full.organizations.byId(org))?.name, 'tool');
    await full.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
