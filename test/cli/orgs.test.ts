import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_TABLES, fillOrganization } from '../../src/store/contract/fill.js';
import { TestS3 } from '../helpers/s3.js';
import { cliBackends, freshEnv, runCli } from './helpers.js';

/** Writes bytes where the local file driver keeps an object. */
function writeBytes(dataDir: string, objectId: string): string {
  const dir = join(dataDir, 'files', objectId.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, objectId);
  writeFileSync(path, 'abc');
  return path;
}

describe('admin CLI: organizations', () => {
  it('creates, shows, lists and renames organizations, refusing clashes and unknown ones', async () => {
    const { env, cleanup } = freshEnv();
    try {
      const created = await runCli(['org', 'create', 'Acme', 'Corp', '--json'], env);
      assert.equal(created.code, 0, created.stderr);
      const org = created.json().organization;
      assert.equal(org.name, 'Acme Corp');
      const text = await runCli(['org', 'create', 'Beta'], env);
      assert.match(text.stdout, /^created organization "Beta" with id [0-9a-f]{24}\n$/);
      const dup = await runCli(['org', 'create', 'Acme Corp', '--json'], env);
      assert.equal(dup.code, 1);
      assert.equal(dup.json().error, 'An organization with this name already exists.');
      const byName = await runCli(['org', 'get', 'Acme Corp', '--json', '--rows'], env);
      assert.equal(byName.json().organization._id, org._id);
      assert.deepEqual(byName.json().rows, { organizations: 1 });
      const list = await runCli(['org', 'list', '--json', '--limit', '2'], env);
      assert.equal(list.json().organizations.length, 2);
      const page2 = await runCli(['org', 'list', '--json', '--after', list.json().next], env);
      assert.equal(page2.json().next, null);
      // "default" is made on first use, as the server does at start.
      const names = [...list.json().organizations, ...page2.json().organizations].map((o: { name: string; users: number }) => `${o.name}:${String(o.users)}`);
      assert.deepEqual(names.sort(), ['Acme Corp:0', 'Beta:0', 'default:0']);
      assert.match((await runCli(['org', 'list'], env)).stdout, /^ID +NAME +USERS +CREATED\n/);
      const renamed = await runCli(['org', 'rename', org._id, 'Acme', 'Inc', '--json'], env);
      assert.equal(renamed.json().organization.name, 'Acme Inc');
      assert.equal((await runCli(['org', 'rename', 'Acme Inc', 'Beta'], env)).code, 1);
      const missing = await runCli(['org', 'get', 'nope'], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no organization with id or name "nope"/);
      const usage = await runCli(['org', 'rename', 'Beta'], env);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /missing the new name/);
      assert.equal((await runCli(['org', 'list', '--bogus'], env)).code, 2);
    } finally {
      cleanup();
    }
  });

  it('deletes nothing when the file storage cannot be used, unless told to keep the bytes', async () => {
    const s3 = await TestS3.start();
    const { env, cleanup } = freshEnv({ ...s3.env('org-delete'), S3_SECRET_KEY: 'wrong' });
    try {
      assert.equal((await runCli(['org', 'create', 'Stuck'], env)).code, 0);
      const refused = await runCli(['org', 'delete', 'Stuck', '--yes'], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /the file storage cannot be used .*so nothing was deleted; --keep-file-bytes/);
      assert.equal((await runCli(['org', 'get', 'Stuck'], env)).code, 0);
      assert.equal((await runCli(['org', 'delete', 'Stuck', '--yes', '--keep-file-bytes'], env)).code, 0);
      assert.equal((await runCli(['org', 'get', 'Stuck'], env)).code, 1);
    } finally {
      cleanup();
      await s3.stop();
    }
  });

  for (const backend of cliBackends()) {
    it(`deletes an organization with all its data and nothing of another one (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { env, dataDir, open, cleanup } = await backend.setup();
      try {
        let store = await open();
        const doomed = await fillOrganization(store);
        const kept = await fillOrganization(store);
        const keptBefore = await store.admin.countOrganization(kept.orgId);
        await store.close();
        const doomedBytes = [...doomed.filesOf.a, ...doomed.filesOf.b].map((id) => writeBytes(dataDir, id));
        const keptBytes = [...kept.filesOf.a, ...kept.filesOf.b].map((id) => writeBytes(dataDir, id));

        const dry = await runCli(['org', 'delete', doomed.orgId, '--json'], env);
        assert.equal(dry.code, 1, 'refused without --yes');
        assert.equal(dry.json().deleted, false);
        assert.deepEqual(Object.keys(dry.json().rows).sort(), [...ALL_TABLES]);
        const shown = await runCli(['org', 'delete', doomed.orgId], env);
        assert.match(shown.stdout, /nothing deleted: run again with --yes/);

        const done = await runCli(['org', 'delete', doomed.orgId, '--yes', '--json', '--batch', '2'], env);
        assert.equal(done.code, 0, done.stderr);
        assert.equal(done.json().deleted, true);
        assert.equal(done.json().removed.messages, 5);
        assert.equal(done.json().sessions.ok, false, 'no server to ask (APP_PORT=0)');
        assert.match(done.stderr, /deleting organization/, 'a progress bar on stderr');

        store = await open();
        try {
          assert.deepEqual(await store.admin.countOrganization(doomed.orgId), {});
          assert.deepEqual(await store.admin.countOrganization(kept.orgId), keptBefore);
        } finally {
          await store.close();
        }
        assert.deepEqual(doomedBytes.filter((p) => existsSync(p)), [], 'file bytes of the organization are gone');
        assert.deepEqual(keptBytes.filter((p) => !existsSync(p)), [], 'file bytes of the other one stay');
        assert.equal((await runCli(['org', 'delete', doomed.orgId, '--yes'], env)).code, 1, 'gone');
      } finally {
        await cleanup();
      }
    });
  }
});
