import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { freePort, spawnScript, waitReady } from '../process/helpers.js';
import { runFuzz } from './driver.js';
import { seedFromEnv } from './rng.js';

const ADMIN = 'fuzz-admin';
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 20_000);

/**
 * 20,000 hostile packets generated from the handler registry (every kind; wrong types, missing and
 * extra fields, prototype keys, huge strings, deep nesting, garbage frames) on signed-in and
 * anonymous sockets of a real server process. Every error must be SAMA-shaped and never a 500,
 * the server must not crash or log a handler failure, and another socket's pings must be
 * answered within 1 s throughout. Rerun a failure with FUZZ_SEED=<printed seed>.
 */
it(`survives ${PACKETS} fuzzed packets`, { timeout: 180_000 }, async () => {
  const seed = seedFromEnv();
  console.log(`# fuzz seed ${seed} (rerun with FUZZ_SEED=${seed})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-fuzz-'));
  const port = await freePort();
  const proc = spawnScript('src/main.ts', [], {
    APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_ADMIN_API_KEY: ADMIN,
    PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1', LOGIN_RATE_LIMIT_PER_ADDRESS: '1000000', LOGIN_RATE_LIMIT_PER_LOGIN: '1000000',
  });
  try {
    await waitReady(port, proc);
    const report = await runFuzz({ wsUrl: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${port}`, adminKey: ADMIN }, { packets: PACKETS, seed }).catch((err: unknown) => {
      throw new Error(`seed ${seed}: ${String(err)}; server output:\n${proc.output().slice(-4000)}`);
    });
    console.log(`# ${JSON.stringify(report)}`);
    if (report.violationCount > 0) console.log(`# server output:\n${proc.output().slice(-4000)}`);
    assert.equal(proc.child.exitCode, null, `server exited: ${proc.output().slice(-2000)}`);
    assert.equal(report.packets, PACKETS);
    assert.deepEqual(report.violations, [], `seed ${seed}: ${report.violationCount} bad replies`);
    assert.equal(report.errorsByStatus['500'], undefined, `seed ${seed}: 500 replies`);
    assert.ok(report.pings.maxMs < 1000, `seed ${seed}: a ping took ${report.pings.maxMs} ms`);
    // Typically 20-40 ms; 300-360 ms when a frame nested a few thousand deep cost a quadratic scan.
    assert.ok(report.pings.p99Ms < 200, `seed ${seed}: ping p99 ${report.pings.p99Ms} ms`);
    assert.deepEqual(report.noReply, {}, `seed ${seed}: requests without a reply`);
    assert.equal(report.closes['1011'], undefined, `seed ${seed}: sockets closed with 1011`);
    assert.doesNotMatch(proc.output(), /handler failed|delivery failed|uncaught|unhandled|"level":(50|60)/i, `seed ${seed}: server logged a failure`);
  } finally {
    proc.child.kill('SIGKILL');
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
