import { readFileSync, writeFileSync } from 'node:fs';

/**
 * `tsx bench/plot.ts <kind> <result.json> <out.svg>`: draws a result as an SVG line chart for
 * docs/benchmarks.md. Kinds: `ramp` (acked rate vs p99 send→deliver, Parley and baseline),
 * `xmpp` (the same for Parley and each XMPP server), `idle` (server RSS vs open connections).
 */
interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const W = 640;
  const H = 400;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys) * 1.1;
  const X = (x: number): number => m.l + (x / xMax) * (W - m.l - m.r);
  const Y = (y: number): number => H - m.b - (y / yMax) * (H - m.t - m.b);
  const ticks = (max: number): number[] => Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const fmt = (v: number): string => (v >= 1000 ? `${Math.round(v / 100) / 10}k` : `${Math.round(v * 10) / 10}`);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${xLabel}</text>`,
    `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${yLabel}</text>`,
  ];
  for (const t of ticks(xMax)) parts.push(`<line x1="${X(t)}" y1="${H - m.b}" x2="${X(t)}" y2="${m.t}" stroke="#eee"/><text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(yMax)) parts.push(`<line x1="${m.l}" y1="${Y(t)}" x2="${W - m.r}" y2="${Y(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  parts.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" y1="${H - m.b}" x2="${m.l}" y2="${m.t}" stroke="black"/>`);
  series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.points) parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    parts.push(`<rect x="${m.l + 10}" y="${m.t + 6 + i * 18}" width="12" height="12" fill="${s.color}"/><text x="${m.l + 28}" y="${m.t + 16 + i * 18}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const [kind, input, output] = process.argv.slice(2);
if (!kind || !input || !output) {
  process.stderr.write('usage: tsx bench/plot.ts <ramp|xmpp|idle> <result.json> <out.svg>\n');
  process.exit(2);
}
const rec = JSON.parse(readFileSync(input, 'utf8')) as { store: string; date: string; result: any };
let svg: string;
if (kind === 'ramp') {
  const pts = (steps: any[]): [number, number][] => steps.map((s) => [s.ackedPerSec, s.deliver.p99]);
  svg = lineChart(`Acked messages/s vs p99 send→deliver (${rec.store}, ${rec.date.slice(0, 10)})`, 'acknowledged messages per second', 'p99 send→deliver (ms)', [
    { name: 'Parley', color: '#1f77b4', points: pts(rec.result.parley.steps) },
    { name: 'bare ws baseline', color: '#ff7f0e', points: pts(rec.result.baseline.steps) },
  ]);
} else if (kind === 'xmpp') {
  const pts = (steps: any[]): [number, number][] => steps.map((s) => [s.ackedPerSec, s.deliver.p99]);
  const colors: Record<string, string> = { prosody: '#2ca02c', ejabberd: '#d62728' };
  // A failed step's p99 can be seconds; cap the axis so the held steps stay readable.
  const capped = (points: [number, number][]): [number, number][] => points.map(([x, y]) => [x, Math.min(y, 500)]);
  svg = lineChart(`Parley vs XMPP servers: msgs/s vs p99 send→deliver, capped at 500 ms (${rec.date.slice(0, 10)})`, 'acknowledged messages per second', 'p99 send→deliver (ms)', [
    { name: 'Parley (SAMA, SQLite, fsync per commit)', color: '#1f77b4', points: capped(pts(rec.result.parley.steps)) },
    ...Object.entries(rec.result.xmpp as Record<string, { version?: string; steps: any[] }>).map(([name, r]) => ({ name: `${name} ${r.version ?? ''} (MUC, nothing stored)`, color: colors[name] ?? '#888', points: capped(pts(r.steps)) })),
  ]);
} else if (kind === 'idle') {
  svg = lineChart(`Server RSS vs idle authenticated connections (${rec.store}, ${rec.date.slice(0, 10)})`, 'open authenticated connections', 'server RSS (MiB)', [
    { name: 'Parley', color: '#1f77b4', points: (rec.result.series as { connections: number; rssMiB: number }[]).map((p) => [p.connections, p.rssMiB]) },
  ]);
} else throw new Error(`unknown plot kind ${kind}`);
writeFileSync(output, svg);
