import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { TestPostgres } from '../helpers/postgres.js';
import { TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, uniqueName } from '../helpers/server.js';
import { clusterUnavailable } from '../helpers/cluster.js';
import { freePort, spawnScript, waitReady, type Proc } from '../process/helpers.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping CLUSTER_WORKERS tests: ${skip}`);

/** Pids of the live child processes of `pid` (from /proc, so no procps is needed). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') out.push(Number(name));
    } catch {
      // the process ended while the directory was read
    }
  }
  return out;
}

/** The node ids that answer `count` fresh connections to GET /health. */
async function healthNodes(port: number, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await fetch(`http://127.0.0.1:${String(port)}/health`, { headers: { connection: 'close' } });
    seen.add(((await res.json()) as { node_id: string }).node_id);
  }
  return seen;
}

describe('CLUSTER_WORKERS: one node per core on one port', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  let proc: Proc | undefined;
  let dataDir: string;
  before(async () => {
    redis = await TestRedis.start();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-workers-'));
  });
  after(async () => {
    proc?.child.kill('SIGKILL');
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('spreads connections over the workers, which chat as one cluster, restarts a killed worker and stops on SIGTERM', async () => {
    const pg = await TestPostgres.shared();
    const port = await freePort();
    proc = spawnScript('src/main.ts', [], {
      DATABASE_URL: await pg.createDatabase(), REDIS_URL: redis.url, JWT_ACCESS_SECRET: 'w-jwt', COOKIE_SECRET: 'w-cookie', FILE_URL_SECRET: 'w-file',
      CLUSTER_WORKERS: '2', NODE_ID: 'box', CLUSTER_NODE_TTL_MS: '1500', CLUSTER_RECONCILE_MS: '250',
      APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, HTTP_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn',
      PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1',
    });
    await waitReady(port, proc, 40_000);
    // Both workers listen before the port answers for each: wait until both have been seen.
    const until = Date.now() + 20_000;
    while ((await healthNodes(port, 6)).size < 2) assert.ok(Date.now() < until, 'second worker never answered');
    assert.deepEqual([...(await healthNodes(port, 8))].sort(), ['box-w1', 'box-w2']);

    const url = `ws://127.0.0.1:${String(port)}/`;
    const admin = await fetch(`http://127.0.0.1:${String(port)}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ name: uniqueName('org') }) });
    const org = ((await admin.json()) as { organization: { _id: string } }).organization._id;
    // Four users on four connections: round robin puts them on both workers.
    const clients: TestClient[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await TestClient.open(url);
      const login = uniqueName('w');
      ids.push((await c.request('user_create', { organization_id: org, login, password: 'pass-word', email: `${login}@example.com` })).user._id as string);
      assert.ok((await c.request('user_login', { organization_id: org, login, password: 'pass-word', device_id: 'd' })).token);
      clients.push(c);
    }
    const [first, ...rest] = clients;
    assert.ok(first);
    const cid = (await first.request('conversation_create', { type: 'g', name: 'workers', participants: ids.slice(1) })).conversation._id as string;
    assert.ok((await first.request('message', { id: 'w1', cid, body: 'to every worker' })).ask);
    for (const c of rest) assert.equal((await c.next((f) => f.message?.body === 'to every worker', 5000)).message.cid, cid);
    assert.equal((await rest[0]!.request('online_list', { count: true })).count, 4);

    // SIGKILL one worker: the primary starts it again.
    const pids = children(proc.child.pid ?? 0);
    assert.equal(pids.length, 2);
    process.kill(pids[0]!, 'SIGKILL');
    const again = Date.now() + 20_000;
    for (;;) {
      const now = children(proc.child.pid ?? 0);
      if (now.length === 2 && !now.includes(pids[0]!) && (await healthNodes(port, 6)).size === 2) break;
      assert.ok(Date.now() < again, 'killed worker not replaced');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const c of clients) await c.close();
    proc.child.kill('SIGTERM');
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    proc = undefined;
  });
});
