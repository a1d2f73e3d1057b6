import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fillOrganization } from '../../src/store/contract/fill.js';
import { cliBackends, runCli } from './helpers.js';

describe('admin CLI: user export', () => {
  for (const backend of cliBackends()) {
    it(`writes the same archive parley_data_export builds (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { env, dataDir, open, cleanup } = await backend.setup();
      try {
        const store = await open();
        const f = await fillOrganization(store);
        await store.close();
        const out = join(dataDir, 'a.tar.gz');
        const run = await runCli(['user', 'export', f.a, '--org', f.orgId, '--out', out, '--json'], env);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.json().messages, f.sentBy.a.length);
        assert.equal(run.json().conversations, 2);
        const dir = mkdtempSync(join(dataDir, 'x-'));
        execFileSync('tar', ['-xzf', out, '-C', dir]);
        const messages = readdirSync(join(dir, 'messages')).flatMap((n) => JSON.parse(readFileSync(join(dir, 'messages', n), 'utf8')) as { _id: string; from: string }[]);
        assert.deepEqual(messages.map((m) => m._id).sort(), [...f.sentBy.a].sort());
        assert.ok(messages.every((m) => m.from === f.a));
        assert.equal(JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')).user._id, f.a);
        // The fill's file records have no bytes in storage: listed, without a path.
        assert.deepEqual(JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')).map((x: { object_id: string; path: string | null }) => [x.object_id, x.path]), [[f.filesOf.a[0], null]]);
        assert.equal((await runCli(['user', 'export', f.a, '--org', f.orgId], env)).code, 2);
        assert.equal((await runCli(['user', 'export', 'nobody', '--org', f.orgId, '--out', out], env)).code, 1);
      } finally {
        await cleanup();
      }
    });
  }
});
