import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ClusterRun, ClusterStep } from './cluster.js';

/**
 * `npx tsx bench/cluster-report.ts <result.json>`: prints the Markdown tables that
 * docs/benchmarks.md ("Cluster: 1, 2 and 3 nodes") and docs/scaling.md quote, from one result
 * of `npm run bench -- cluster`, so that a re-run updates the docs by pasting, not by hand.
 */

interface Record {
  date: string;
  command: string;
  machine: { cpu: string; cores: number };
  result: { users: number; groupSize: number; stepSec: number; warmupSec: number; runs: ClusterRun[] };
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npx tsx bench/cluster-report.ts <bench/results/cluster-postgres-….json>\n');
  process.exit(2);
}
const rec = JSON.parse(readFileSync(file, 'utf8')) as Record;
const runs = rec.result.runs;
const n = (x: number): string => x.toLocaleString('en-US');
const ms = (x: number): string => (x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pair = (l: { p50: number; p99: number }): string => (l.p50 === 0 && l.p99 === 0 ? '—' : `${ms(l.p50)} / ${ms(l.p99)}`);
const sec = (x: number): string => x.toFixed(2);
const best = (r: ClusterRun): ClusterStep | undefined => [...r.steps].filter((s) => s.held).sort((a, b) => b.ackedPerSec - a.ackedPerSec)[0];
const first = (r: ClusterRun): ClusterStep | undefined => r.steps.find((s) => !s.held);
const ours = (s: ClusterStep): number => s.cpuCores.nodes.reduce((a, b) => a + b, 0) + s.cpuCores.redis + s.cpuCores.postgres + s.cpuCores.generators;
const out: string[] = [];
const line = (s = ''): number => out.push(s);

line(`Source: \`${basename(file)}\` (${rec.date}, \`${rec.command}\`; ${rec.machine.cores} × ${rec.machine.cpu}).`);
line();
line('Per cluster size (best held step; CPU in seconds per 1,000 acked messages):');
line();
line('| nodes | best held msg/s (first failed: p99 deliver) | deliveries/s | cross-node p50 / p99 ms | same-node p50 / p99 ms | CPU s per 1,000 msgs: nodes (each) | PostgreSQL | Redis | Redis CPU ms per 1,000 deliveries | statements per msg | machine busy (cores of 2) |');
line('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const b = best(r);
  const f = first(r);
  const failed = f ? ` (${n(f.offeredPerSec)}: ${ms(f.deliver.p99)} ms)` : ' (no step failed)';
  if (!b) {
    line(`| ${r.nodes} | none${failed} | | | | | | | | | |`);
    continue;
  }
  const c = b.cpuSecPer1000Messages;
  line(
    `| ${r.nodes} | **${n(b.ackedPerSec)}**${failed} | ${n(b.deliveriesPerSec)} | ${pair(b.deliverCrossNode)} | ${pair(b.deliverSameNode)} | ${sec(c.nodesTotal)}${r.nodes > 1 ? ` (${c.nodes.map(sec).join(' + ')})` : ''} | ${sec(c.postgres)} | ${c.redis.toFixed(3)} | ${ms(b.redisCpuMsPer1000Deliveries)} | ${b.postgresStatements.perMessage} | ${b.cpuCores.machineBusy} |`,
  );
}
line();
line('Fixed "SAMA-like" step (offered rate, after the warm-up):');
line();
line('| nodes | msg/s | held | ack p50 / p99 ms | cross-node p50 / p99 ms | same-node p50 / p99 ms | cross-node p99 ≤ 10 ms | machine busy |');
line('|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const m = r.moderate;
  if (!m) continue;
  line(`| ${r.nodes} | ${n(m.offeredPerSec)} | ${m.held ? 'yes' : '**no**'} | ${pair(m.ack)} | ${pair(m.deliverCrossNode)} | ${pair(m.deliverSameNode)} | ${r.moderateCrossP99Met === null ? '—' : r.moderateCrossP99Met ? 'met' : '**not met**'} | ${m.cpuCores.machineBusy} |`);
}
line();
line('Every step (cores: each node, PostgreSQL, Redis, generators; "others" = machine busy less all of ours):');
line();
line('| nodes | offered msg/s | held | ack p50 / p99 ms | cross p50 / p99 ms | same p50 / p99 ms | nodes cores | PostgreSQL | Redis | generators | others | CPU s per 1,000 msgs nodes / PostgreSQL | statements per msg | Redis PUBLISH per msg |');
line('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  for (const s of [r.idle, ...(r.moderate ? [r.moderate] : []), ...r.steps]) {
    const k = s.cpuCores;
    const label = s === r.idle ? 'idle' : s === r.moderate ? `${n(s.offeredPerSec)} (fixed)` : n(s.offeredPerSec);
    line(
      `| ${r.nodes} | ${label} | ${s.held ? 'yes' : '**no**'} | ${pair(s.ack)} | ${pair(s.deliverCrossNode)} | ${pair(s.deliverSameNode)} | ${k.nodes.join(' + ')} | ${k.postgres} | ${k.redis} | ${k.generators} | ${Math.max(0, Math.round((k.machineBusy - ours(s)) * 100) / 100)} | ${s.acked > 0 ? `${sec(s.cpuSecPer1000Messages.nodesTotal)} / ${sec(s.cpuSecPer1000Messages.postgres)}` : '—'} | ${s.postgresStatements.perMessage} | ${s.redisCommandsPerMessage.publish ?? 0} |`,
    );
  }
}
process.stdout.write(`${out.join('\n')}\n`);
