import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createPasswordHasher } from '../../src/domain/passwords.js';
import { fillOrganization } from '../../src/store/contract/fill.js';
import { cliBackends, freshEnv, runCli } from './helpers.js';

function writeBytes(dataDir: string, objectId: string): string {
  const dir = join(dataDir, 'files', objectId.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, objectId), 'abc');
  return join(dir, objectId);
}

describe('admin CLI: users', () => {
  it('creates users with given, piped or generated passwords, lists, searches and shows them', async () => {
    const { env, dataDir, cleanup } = freshEnv();
    try {
      assert.equal((await runCli(['org', 'create', 'Acme'], env)).code, 0);
      const alice = await runCli(['user', 'create', 'alice', '--org', 'Acme', '--email', 'alice@acme.example', '--phone', '+15550100', '--first-name', 'Alice', '--json'], env);
      assert.equal(alice.code, 0, alice.stderr);
      const generated: string = alice.json().password;
      assert.match(generated, /^[\w-]{20}$/);
      assert.equal(alice.json().user.login, 'alice');
      assert.equal(alice.json().user.password_hash, undefined);
      const bob = await runCli(['user', 'create', 'bob', '--org', 'Acme', '--password-stdin', '--json'], env, 'piped-secret\n');
      assert.equal(bob.json().password, undefined, 'a given password is not printed');
      const carol = await runCli(['user', 'create', 'carol', '--password', 'pw-carol'], env);
      assert.match(carol.stdout, /created user carol \([0-9a-f]{24}\) in organization "default"\n$/);
      // The stored hashes are real argon2id hashes of those passwords.
      const { openSqliteStore } = await import('../../src/store/sqlite/index.js');
      const store = await openSqliteStore({ dataDir, threads: false });
      try {
        const hasher = createPasswordHasher({ memoryKib: 1024, passes: 1 });
        const org = alice.json().user.organization_id as string;
        assert.equal(await hasher.verify((await store.users.byLogin(org, 'alice'))?.password_hash ?? '', generated), true);
        assert.equal(await hasher.verify((await store.users.byLogin(org, 'bob'))?.password_hash ?? '', 'piped-secret'), true);
      } finally {
        await store.close();
      }
      const dup = await runCli(['user', 'create', 'ALICE', '--org', 'Acme'], env);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /already associated with an existing user account/);
      assert.equal((await runCli(['user', 'create', 'dave', '--org', 'Acme', '--password', 'x'], env)).code, 1, 'too short');
      assert.equal((await runCli(['user', 'create', 'eve', '--org', 'Nope'], env)).code, 1);
      assert.equal((await runCli(['user', 'create'], env)).code, 2);

      const page1 = await runCli(['user', 'list', '--org', 'Acme', '--limit', '1', '--json'], env);
      assert.equal(page1.json().users.length, 1);
      const page2 = await runCli(['user', 'list', '--org', 'Acme', '--after', page1.json().next, '--json'], env);
      assert.deepEqual([...page1.json().users, ...page2.json().users].map((u: { login: string }) => u.login).sort(), ['alice', 'bob']);
      assert.equal(page2.json().next, null);

      assert.deepEqual((await runCli(['user', 'search', 'ACME.EX', '--json'], env)).json().users.map((u: { login: string }) => u.login), ['alice']);
      assert.deepEqual((await runCli(['user', 'search', '0100', '--json'], env)).json().users.map((u: { login: string }) => u.login), ['alice']);
      assert.deepEqual((await runCli(['user', 'search', 'o', '--org', 'default', '--json'], env)).json().users.map((u: { login: string }) => u.login), ['carol']);
      assert.match((await runCli(['user', 'search', 'zzz'], env)).stdout, /no user matches/);

      const shown = await runCli(['user', 'get', 'alice', '--org', 'Acme', '--rows', '--json'], env);
      assert.equal(shown.json().user._id, alice.json().user._id);
      assert.deepEqual(shown.json().rows, { users: 1 });
      assert.equal((await runCli(['user', 'get', alice.json().user._id, '--org', 'Acme', '--json'], env)).json().user.login, 'alice');
      assert.match((await runCli(['user', 'get', 'alice', '--org', 'Acme'], env)).stdout, /email +alice@acme\.example/);
      assert.equal((await runCli(['user', 'get', 'alice'], env)).code, 1, 'alice is not in "default"');
    } finally {
      cleanup();
    }
  });

  for (const backend of cliBackends()) {
    it(`deletes a user with their data, or only the account with --keep-messages (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { env, dataDir, open, cleanup } = await backend.setup();
      try {
        let store = await open();
        const f = await fillOrganization(store);
        const other = await fillOrganization(store);
        const otherBefore = await store.admin.countOrganization(other.orgId);
        const bLogin = (await store.users.byId(f.orgId, f.b))?.login ?? '';
        const aLogin = (await store.users.byId(f.orgId, f.a))?.login ?? '';
        await store.close();
        const aBytes = f.filesOf.a.map((id) => writeBytes(dataDir, id));
        const bBytes = f.filesOf.b.map((id) => writeBytes(dataDir, id));

        const dry = await runCli(['user', 'delete', aLogin, '--org', f.orgId, '--json'], env);
        assert.equal(dry.code, 1);
        assert.equal(dry.json().rows.messages, 3);
        const done = await runCli(['user', 'delete', f.a, '--org', f.orgId, '--yes', '--batch', '1', '--json'], env);
        assert.equal(done.code, 0, done.stderr);
        assert.equal(done.json().removed.messages, 3);
        assert.equal(done.json().ownershipsHandedOver, 1);
        assert.equal(done.json().conversationsDeleted, 0);

        store = await open();
        try {
          assert.deepEqual(await store.admin.countUser(f.orgId, f.a), {}, 'nothing of the user is left');
          assert.equal(await store.users.byId(f.orgId, f.a), undefined);
          for (const id of f.sentBy.b) assert.ok(await store.messages.byId(f.orgId, id), "others' messages stay");
          const group = await store.conversations.byId(f.orgId, f.group);
          assert.equal(group?.owner_id, f.b, 'the group passed to its remaining member');
          assert.equal(group?.participants_count, 1);
          assert.ok(await store.conversations.byId(f.orgId, f.direct), 'the private conversation stays for the other side');
          assert.deepEqual(await store.admin.countOrganization(other.orgId), otherBefore);
        } finally {
          await store.close();
        }
        assert.deepEqual(aBytes.filter((p) => existsSync(p)), []);
        assert.deepEqual(bBytes.filter((p) => !existsSync(p)), []);

        const kept = await runCli(['user', 'delete', bLogin, '--org', f.orgId, '--yes', '--keep-messages', '--json'], env);
        assert.equal(kept.json().keepMessages, true);
        store = await open();
        try {
          assert.equal(await store.users.byId(f.orgId, f.b), undefined);
          const left = await store.admin.countUser(f.orgId, f.b);
          // Their statuses and reaction were on a's messages, which went with a.
          assert.deepEqual(left, { messages: 2, conversation_participants: 2, files: 1 }, '--keep-messages keeps messages, memberships and files');
        } finally {
          await store.close();
        }
      } finally {
        await cleanup();
      }
    });
  }
});
