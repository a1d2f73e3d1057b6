import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { freePort, spawnScript, waitReady } from './helpers.js';

describe('the server as a process', () => {
  it('starts on an empty data dir, serves health, readiness, metrics and the default organization, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'));
    const port = await freePort();
    const proc = spawnScript('src/main.ts', [], { APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', HOSTNAME: 'node-under-test' });
    try {
      await waitReady(port, proc);
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; hostname: string; node_id: string };
      assert.equal(health.status, 'ok');
      assert.equal(health.hostname, 'node-under-test');
      assert.match(health.node_id, /-[0-9a-f]{6}$/, 'a generated node id');
      const c = await TestClient.open(`ws://127.0.0.1:${port}/`);
      const created = await c.request('user_create', { organization_id: 'default', login: 'first-user', password: 'pw-first', email: 'first@example.com' });
      assert.equal(created.user.login, 'first-user');
      assert.equal(typeof (await c.request('user_login', { organization_id: 'default', login: 'first-user', password: 'pw-first', device_id: 'd' })).token, 'string');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /parley_packets_total\{packet="user_create",outcome="ok"\} 1/);
      assert.match(metrics, /parley_sessions 1/);
      proc.child.kill('SIGTERM');
      const closed = await c.closed;
      assert.equal(closed.code, 1001);
      const { code } = await proc.exited;
      assert.equal(code, 0, proc.output());
      assert.match(proc.output(), /parley stopped/);
      assert.match(proc.output(), /no push sender is configured: pushes are kept in the outbox and not sent/);
    } finally {
      proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps its generated secrets across restarts, so issued tokens stay valid', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'));
    const port = await freePort();
    const env = { APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    let proc = spawnScript('src/main.ts', [], env);
    try {
      await waitReady(port, proc);
      const c = await TestClient.open(`ws://127.0.0.1:${port}/`);
      await c.request('user_create', { organization_id: 'default', login: 'keeper', password: 'pw-keep', email: 'k@example.com' });
      const token = (await c.request('user_login', { organization_id: 'default', login: 'keeper', password: 'pw-keep', device_id: 'd' })).token as string;
      proc.child.kill('SIGTERM');
      await proc.exited;
      proc = spawnScript('src/main.ts', [], env);
      await waitReady(port, proc);
      const c2 = await TestClient.open(`ws://127.0.0.1:${port}/`);
      assert.equal((await c2.request('connect', { token, device_id: 'd' })).success, true);
      await c2.close();
    } finally {
      proc.child.kill('SIGKILL');
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const [name, env, pattern] of [
    ['a non-numeric port', { APP_PORT: 'abc' }, /APP_PORT must be a whole number/],
    ['a non-PostgreSQL DATABASE_URL', { DATABASE_URL: 'mysql://u@h/db' }, /DATABASE_URL must be a postgres:\/\/ URL/],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    ['half of the Web Push settings', { WEB_PUSH_VAPID_PUBLIC_KEY: 'BPub' }, /Web Push needs .*missing WEB_PUSH_VAPID_PRIVATE_KEY, WEB_PUSH_VAPID_SUBJECT/],
    ['the SAMA push queue but no Redis', { PUSH_DRIVER: 'sama-queue' }, /PUSH_DRIVER=sama-queue needs REDIS_URL/],
    ['an unknown push driver', { PUSH_DRIVER: 'pigeon' }, /PUSH_DRIVER must be one of native, sama-queue/],
  ] as const) {
    it(`refuses to start with ${name}, saying why`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'));
      try {
        const proc = spawnScript('src/main.ts', [], { DATA_DIR: dataDir, ...env });
        const { code } = await proc.exited;
        assert.equal(code, 2);
        assert.match(proc.output(), pattern);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it('creates an organization from the admin command line, visible to the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'));
    try {
      const cli = spawnScript('src/cli/admin.ts', ['org', 'create', 'Acme', 'Corp', '--json'], { DATA_DIR: dataDir });
      assert.equal((await cli.exited).code, 0, cli.output());
      const orgId = (JSON.parse(cli.output()) as { organization: { _id: string; name: string } }).organization;
      assert.equal(orgId.name, 'Acme Corp');
      const dup = spawnScript('src/cli/admin.ts', ['org', 'create', 'Acme', 'Corp'], { DATA_DIR: dataDir });
      assert.equal((await dup.exited).code, 1);
      assert.match(dup.output(), /already exists/);
      const bad = spawnScript('src/cli/admin.ts', ['org'], { DATA_DIR: dataDir });
      assert.equal((await bad.exited).code, 2);
      const port = await freePort();
      const proc = spawnScript('src/main.ts', [], { APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      try {
        await waitReady(port, proc);
        const c = await TestClient.open(`ws://127.0.0.1:${port}/`);
        assert.equal((await c.request('user_create', { organization_id: orgId._id, login: 'acme-user', password: 'pw-acme', email: 'a@acme.io' })).user.login, 'acme-user');
        await c.close();
      } finally {
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
