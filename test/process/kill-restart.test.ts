import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { TestPostgres } from '../helpers/postgres.js';
import { crashTrial, sumTrials, type CrashTrialResult } from './crash-trial.js';
import { freePort, ROOT, spawnScript, waitReady, type Proc } from './helpers.js';

const ADMIN = 'kill-test-admin';

/**
 * Sends messages as fast as the socket takes them, kills the server with SIGKILL once some have
 * been acknowledged, restarts it on the same store and checks every acknowledged message is there.
 */
async function ackedSurviveKill(storeEnv: Record<string, string>): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-kill-'));
  const port = await freePort();
  const env = { APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_ADMIN_API_KEY: ADMIN, PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1', ...storeEnv };
  let proc: Proc = spawnScript('src/main.ts', [], env);
  try {
    await waitReady(port, proc);
    const org = ((await (await fetch(`http://127.0.0.1:${port}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN }, body: '{"name":"kill"}' })).json()) as { organization: { _id: string } }).organization._id;
    const c = await TestClient.open(`ws://127.0.0.1:${port}/`);
    const a = (await c.request('user_create', { organization_id: org, login: 'sender', password: 'pw-kill', email: 's@k.io' })).user._id as string;
    const b = (await c.request('user_create', { organization_id: org, login: 'reader', password: 'pw-kill', email: 'r@k.io' })).user._id as string;
    assert.ok(a);
    await c.request('user_login', { organization_id: org, login: 'sender', password: 'pw-kill', device_id: 'd' });
    const cid = (await c.request('conversation_create', { type: 'g', name: 'kill', participants: [b] })).conversation._id as string;
    const acked: string[] = [];
    let killed = false;
    c.ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString()) as { ask?: { server_mid: string } };
      if (f.ask && !killed) {
        acked.push(f.ask.server_mid);
        if (acked.length === 300) {
          killed = true;
          proc.child.kill('SIGKILL');
        }
      }
    });
    for (let i = 0; i < 3000 && c.ws.readyState === c.ws.OPEN; i++) {
      c.send({ message: { id: `k${i}`, cid, body: `message ${i}` } });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const exit = await proc.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(acked.length >= 300, `acked ${acked.length}`);
    proc = spawnScript('src/main.ts', [], env);
    await waitReady(port, proc);
    const r = await TestClient.open(`ws://127.0.0.1:${port}/`);
    await r.request('user_login', { organization_id: org, login: 'reader', password: 'pw-kill', device_id: 'r' });
    const found = new Set<string>();
    for (let i = 0; i < acked.length; i += 100) {
      const page = await r.request('message_list', { cid, ids: acked.slice(i, i + 100) });
      for (const m of page.messages as { _id: string }[]) found.add(m._id);
    }
    const missing = acked.filter((id) => !found.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged messages lost`);
    await r.close();
    return acked.length;
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('an ack means durable', () => {
  it('keeps every acknowledged message across kill -9 (embedded SQLite)', async () => {
    assert.ok((await ackedSurviveKill({})) >= 300);
  });

  const skip = TestPostgres.unavailable();
  it('keeps every acknowledged message across kill -9 (PostgreSQL)', { skip: skip ?? false }, async () => {
    const pg = await TestPostgres.shared();
    assert.ok((await ackedSurviveKill({ DATABASE_URL: await pg.createDatabase() })) >= 300);
  });
});

/**
 * Crash trials (bounded here; `npm run bench -- crash --trials N` runs many): kill -9 under load
 * from three clients at a random moment, restart, resend the unacknowledged messages with the same
 * ids; every acknowledged message is stored exactly once, no client id twice.
 */
describe('crash trials: acked is stored once, retries by message id are idempotent', () => {
  const server = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const check = (results: CrashTrialResult[]): void => {
    const sum = sumTrials(results);
    console.log(`# crash trials (seeds ${results.map((r) => r.seed).join(',')}): ${JSON.stringify(sum)}`);
    assert.equal(sum.lost, 0, 'acknowledged messages lost');
    assert.equal(sum.duplicated, 0, 'client ids stored twice');
    assert.equal(sum.mismatched, 0, 'acks naming another server id than the stored one');
    assert.equal(sum.errors, 0, 'errors or unacknowledged resends');
    assert.ok((sum.checked ?? 0) > 0 && (sum.ackedBeforeKill ?? 0) > 0, 'nothing was acknowledged before the kills');
  };

  it('3 trials on embedded SQLite', { timeout: 120_000 }, async () => {
    const base = Math.floor(Math.random() * 1e6);
    const results: CrashTrialResult[] = [];
    for (let i = 0; i < 3; i++) results.push(await crashTrial({ server, seed: base + i }));
    check(results);
  });

  const skip = TestPostgres.unavailable();
  it('1 trial on PostgreSQL', { skip: skip ?? false, timeout: 120_000 }, async () => {
    const pg = await TestPostgres.shared();
    check([await crashTrial({ server, seed: Math.floor(Math.random() * 1e6), databaseUrl: await pg.createDatabase() })]);
  });
});
