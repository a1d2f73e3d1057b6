import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeEncoded, newHistogram, encode, summarize } from './lib/histogram.js';
import { ProcSampler, procStats } from './lib/proc-stats.js';
import { createOrg, startBaseline } from './lib/servers.js';
import { WorkerPool } from './lib/workers.js';

describe('bench harness (measures correctly; says nothing about speed)', () => {
  it('merges histograms from several generators without losing counts', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 1; i <= 100; i++) a.recordValue(i * 1000);
    b.recordValue(500_000);
    const s = summarize(mergeEncoded([encode(a), encode(b)]));
    assert.equal(s.count, 101);
    assert.ok(Math.abs(s.p50 - 51) <= 0.1, `p50 ${s.p50}`);
    assert.ok(Math.abs(s.max - 500) <= 0.5, `max ${s.max}`);
  });

  it('reads CPU time and RSS of a live process', () => {
    const s = procStats(process.pid);
    assert.ok(s.rssBytes > 10 * 2 ** 20);
    assert.ok(s.cpuMs > 0);
    // Spin until this process has used 300 ms of CPU by its own account, then compare with what
    // the sampler read from /proc over the same wall time. Wall time is not the yardstick: on a
    // busy machine the loop may get a small share of a core.
    const sampler = new ProcSampler(process.pid);
    sampler.start();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let used = 0;
    while (used < 300 && performance.now() - t0 < 10_000) {
      const d = process.cpuUsage(cpu0);
      used = (d.user + d.system) / 1000;
    }
    const r = sampler.stop();
    const expected = used / (performance.now() - t0);
    assert.ok(Math.abs(r.cpuCores - expected) < 0.15, `sampler measured ${r.cpuCores} cores, the process counted ${expected}`);
  });

  it('drives two generator processes against the baseline server and accounts for every message', async () => {
    const server = await startBaseline();
    const pool = WorkerPool.start(2);
    try {
      const orgId = await createOrg(server, 'smoke');
      const ready = await pool.setup((i) => ({ t: 'setup', url: server.wsUrl, target: { protocol: 'sama', orgId }, groups: 2, groupSize: 4, prefix: `s${i}x`, password: 'pw-smoke' }));
      assert.deepEqual(ready.map((r) => r.connections), [8, 8]);
      const parts = await pool.run(200, 1000);
      const sent = parts.reduce((a, p) => a + p.sent, 0);
      assert.ok(sent >= 180 && sent <= 200, `sent ${sent} at 200/s for 1 s`);
      assert.equal(parts.reduce((a, p) => a + p.acked, 0), sent);
      assert.equal(parts.reduce((a, p) => a + p.delivered, 0), sent * 3);
      assert.equal(parts.reduce((a, p) => a + p.errors, 0), 0);
      const deliver = summarize(mergeEncoded(parts.map((p) => p.deliver)));
      assert.equal(deliver.count, sent * 3);
      assert.ok(deliver.p50 > 0 && deliver.p50 < 1000);
      // a second run at the same rate is measured afresh
      const again = await pool.run(200, 500);
      assert.equal(again.reduce((a, p) => a + p.delivered, 0), again.reduce((a, p) => a + p.sent, 0) * 3);
    } finally {
      pool.stop();
      await server.stop();
    }
  });
});
