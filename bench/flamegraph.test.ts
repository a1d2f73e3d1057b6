import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

/** A V8 profile frame (the parts bench/flamegraph.ts reads). */
const frame = (functionName: string, url = ''): { functionName: string; url: string; lineNumber: number } => ({ functionName, url, lineNumber: 0 });

it('draws a CPU profile as a flame graph and counts each sample once by its innermost frame', () => {
  // root → (idle) ×2; root → handle (parley) ×1 → encode (library) ×3; and, after 1 s, one GC sample.
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('handle', 'file:///app/dist/handlers/x.js'), children: [4] },
      { id: 4, callFrame: frame('encode', 'file:///app/node_modules/lib/index.js') },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples: [2, 2, 3, 4, 4, 4, 5],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1_000_000],
  };
  const dir = mkdtempSync(join(tmpdir(), 'flamegraph-'));
  try {
    const input = join(dir, 'p.cpuprofile');
    const output = join(dir, 'p.svg');
    writeFileSync(input, JSON.stringify(profile));
    const run = (...extra: string[]): string => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'flamegraph.ts'), input, output, '--title', 'a <test>', ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const all = run();
    const summary = JSON.parse(all.slice(0, all.indexOf('\n}') + 2)) as { samples: number; shares: Record<string, string> };
    assert.equal(summary.samples, 7);
    assert.deepEqual(summary.shares, { library: '42.9 %', idle: '28.6 %', parley: '14.3 %', gc: '14.3 %' });
    assert.match(all, /42\.9 % {2}encode lib\/index\.js:1/);
    const svg = readFileSync(output, 'utf8');
    assert.match(svg, /<title>handle dist\/handlers\/x\.js:1 — 57\.1 %<\/title>/, 'a caller is as wide as its callees and itself');
    assert.match(svg, /a &lt;test&gt;/, 'text is escaped');
    // The window drops the GC sample that came a second later.
    const early = run('--to', '0.5');
    assert.match(early, /"samples": 6/);
    assert.doesNotMatch(early, /"gc"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
