import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newId } from '../../src/protocol/ids.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { FileRecord } from '../../src/store/store.js';
import { freshEnv, runCli } from './helpers.js';

const HOUR = 3_600_000;

describe('admin CLI: push outbox and files', () => {
  it('inspects, lists, retries and purges the push outbox', async () => {
    const { env, dataDir, cleanup } = freshEnv();
    try {
      const now = Date.now();
      const store = await openSqliteStore({ dataDir, threads: false });
      const org = newId();
      await store.organizations.insert({ _id: org, name: 'Pushy', now });
      const row = (createdAt: number, payload = '{"title":"Alice","body":"hello there"}'): { _id: string; organization_id: string; user_id: string; payload: string; created_at: number } => ({ _id: newId(), organization_id: org, user_id: newId(), payload, created_at: createdAt });
      const rows = [row(now - 3 * 86_400_000), row(now - 2 * HOUR), row(now - HOUR), row(now - 60_000, 'not json')];
      await store.pushOutbox.enqueue(rows);
      // The two oldest are tried: the first failed and waits an hour for its next try.
      await store.pushOutbox.claim(2, now - HOUR - 1, now + 60_000);
      await store.pushOutbox.markFailed(rows[0]?._id ?? '', now + HOUR);
      await store.close();

      const inspect = await runCli(['push', 'inspect', '--json'], env);
      assert.equal(inspect.code, 0, inspect.stderr);
      assert.equal(inspect.json().total, 4);
      assert.deepEqual(inspect.json().byState, { new: 2, due: 0, waiting: 2 });
      assert.equal(inspect.json().oldestCreatedAt, rows[0]?.created_at);
      assert.equal(inspect.json().oldestDueCreatedAt, rows[2]?.created_at);
      assert.equal(inspect.json().oldest.length, 4);
      const text = await runCli(['push', 'inspect', '--org', 'Pushy'], env);
      assert.match(text.stdout, /4 pushes/);
      assert.match(text.stdout, /oldest: +\S+ \(3d/);
      assert.match(text.stdout, /Alice: hello there/);

      const waiting = await runCli(['push', 'list', '--state', 'waiting', '--json'], env);
      assert.deepEqual(waiting.json().pushes.map((p: { _id: string }) => p._id), [rows[0]?._id, rows[1]?._id]);
      assert.equal((await runCli(['push', 'list', '--state', 'lost'], env)).code, 2);
      assert.deepEqual((await runCli(['push', 'list', '--limit', '1', '--after', rows[2]?._id ?? '', '--json'], env)).json().pushes.map((p: { _id: string }) => p._id), [rows[3]?._id]);

      const retried = await runCli(['push', 'retry', rows[0]?._id ?? '', '--json'], env);
      assert.equal(retried.json().retried, 1);
      assert.deepEqual((await runCli(['push', 'inspect', '--json'], env)).json().byState, { new: 2, due: 1, waiting: 1 });
      assert.equal((await runCli(['push', 'retry', '--reset-attempts', '--json'], env)).json().retried, 2);

      assert.equal((await runCli(['push', 'purge'], env)).code, 2, 'needs --older-than or --all');
      const old = await runCli(['push', 'purge', '--older-than', '90m', '--json'], env);
      assert.equal(old.json().purged, 2);
      const refused = await runCli(['push', 'purge', '--all'], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /holds 2 pushes; nothing deleted: --all needs --yes/);
      const all = await runCli(['push', 'purge', '--all', '--yes', '--json'], env);
      assert.equal(all.json().purged, 2);
      assert.match(all.stderr, /purging pushes/);
      assert.equal((await runCli(['push', 'inspect', '--json'], env)).json().total, 0);
      assert.equal((await runCli(['push', 'purge', '--older-than', 'soon'], env)).code, 2);
    } finally {
      cleanup();
    }
  });

  it('sweeps files never attached, bytes and records, leaving attached and recent ones', async () => {
    const { env, dataDir, cleanup } = freshEnv({ FILE_UNATTACHED_EXPIRES_IN: '3600' });
    try {
      const now = Date.now();
      const store = await openSqliteStore({ dataDir, threads: false });
      const org = newId();
      await store.organizations.insert({ _id: org, name: 'Files', now });
      const file = (createdAt: number): FileRecord => ({ _id: newId(), organization_id: org, user_id: newId(), object_id: newId(), name: 'a.txt', size: 3, content_type: 'text/plain', uploaded_at: createdAt, created_at: createdAt, updated_at: createdAt });
      const [stale, attached, recent] = [file(now - 2 * HOUR), file(now - 2 * HOUR), file(now - 60_000)];
      await store.files.insert([stale, attached, recent]);
      await store.files.link(org, [attached.object_id], newId(), now);
      await store.close();
      const bytes = (f: FileRecord): string => join(dataDir, 'files', f.object_id.slice(0, 2), f.object_id);
      for (const f of [stale, attached, recent]) {
        mkdirSync(join(bytes(f), '..'), { recursive: true });
        writeFileSync(bytes(f), 'abc');
      }

      const dry = await runCli(['files', 'sweep', '--dry-run', '--json'], env);
      assert.deepEqual(dry.json().files.map((f: FileRecord) => f.object_id), [stale.object_id]);
      assert.ok(existsSync(bytes(stale)), 'a dry run deletes nothing');
      const swept = await runCli(['files', 'sweep', '--json'], env);
      assert.equal(swept.code, 0, swept.stderr);
      assert.equal(swept.json().removed, 1);
      assert.equal(existsSync(bytes(stale)), false);
      assert.ok(existsSync(bytes(attached)) && existsSync(bytes(recent)));
      const sooner = await runCli(['files', 'sweep', '--older-than', '30s'], env);
      assert.match(sooner.stdout, /^1 unattached file deleted/);
      assert.equal(existsSync(bytes(recent)), false);
      assert.ok(existsSync(bytes(attached)));
    } finally {
      cleanup();
    }
  });
});
