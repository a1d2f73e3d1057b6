import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SandboxLimits } from './sandbox.js';
import { WorkerSandbox } from './worker-pool.js';

const LIMITS: SandboxLimits = { timeoutMs: 600, memoryBytes: 16 * 2 ** 20, outputBytes: 10_000, fetchTimeoutMs: 500, fetchMaxBytes: 10_000, fetchMaxCalls: 3, fetchAllow: '' };
const job = (source: string): { source: string; message: Record<string, unknown>; user: Record<string, unknown> } => ({ source, message: { body: 'hi' }, user: { _id: 'u' } });

describe('worker sandbox pool', () => {
  const pools: WorkerSandbox[] = [];
  const pool = (size: number, graceMs = 250, maxWaitMs?: number): { sandbox: WorkerSandbox; lost: string[] } => {
    const lost: string[] = [];
    const sandbox = new WorkerSandbox({ size, limits: LIMITS, graceMs, ...(maxWaitMs === undefined ? {} : { maxWaitMs }), onThreadLost: (r) => lost.push(r) });
    pools.push(sandbox);
    return { sandbox, lost };
  };
  after(() => Promise.all(pools.map((p) => p.close())));

  it('starts no thread until the first run, then the pool, and runs scripts off the main thread', async () => {
    const { sandbox } = pool(2);
    assert.equal(sandbox.threads, 0);
    const o = await sandbox.run(job("env.REJECT('no ' + env.MESSAGE.body)"));
    assert.deepEqual(o.ok && o.verdict, { kind: 'reject', reason: 'no hi' });
    assert.equal(sandbox.threads, 2);
    assert.equal(await sandbox.check('export default 1'), undefined);
    assert.match((await sandbox.check('export default (')) ?? '', /^SyntaxError/);
  });

  it('keeps other runs going while one spins, and the main thread free', async () => {
    const { sandbox } = pool(2);
    await Promise.all([sandbox.run(job('1')), sandbox.run(job('1'))]); // two warm threads
    assert.equal(sandbox.threads, 2);
    const spin = sandbox.run(job('for (;;) {}'));
    const started = Date.now();
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    const quick = await sandbox.run(job("env.ACCEPT()"));
    assert.ok(quick.ok);
    const quickMs = Date.now() - started;
    assert.ok(quickMs < 500, `a second run waited for the spinning one (${String(quickMs)} ms)`);
    const spun = await spin;
    clearInterval(ticker);
    assert.deepEqual([spun.ok, !spun.ok && spun.failure], [false, 'timeout']);
    assert.ok(ticks >= 20, `the event loop stalled (${String(ticks)} ticks)`);
  });

  it('terminates and replaces a thread stuck past its time limit', async () => {
    // Grace 0: the kill timer fires with the run's own deadline, so the thread is terminated.
    const { sandbox, lost } = pool(1, 0);
    // A warm thread first: a run waits for a thread at most its time limit, and starting one
    // (QuickJS's WebAssembly included) can take longer than that on a loaded machine, which would
    // fail the run as 'unavailable' before it could time out.
    await sandbox.run(job('1'));
    const stuck = await sandbox.run(job('for (;;) {}'));
    assert.deepEqual([stuck.ok, !stuck.ok && stuck.failure], [false, 'timeout'], JSON.stringify(stuck));
    const next = await sandbox.run(job("env.REJECT('alive')"));
    assert.deepEqual(next.ok && next.verdict, { kind: 'reject', reason: 'alive' });
    assert.ok(lost.length >= 1);
  });

  it('fails a run that cannot get a thread in time, and every run after close', async () => {
    const { sandbox } = pool(1, 250, 100);
    await sandbox.run(job('1'));
    const spin = sandbox.run(job('for (;;) {}'));
    const waiting = await sandbox.run(job('1'));
    assert.deepEqual([waiting.ok, !waiting.ok && waiting.failure], [false, 'unavailable']);
    await spin;
    await sandbox.close();
    const late = await sandbox.run(job('1'));
    assert.deepEqual([late.ok, !late.ok && late.failure], [false, 'unavailable']);
  });
});
