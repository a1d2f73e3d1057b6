import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `npx tsx bench/flamegraph.ts <in.cpuprofile> <out.svg> [--title T] [--from s] [--to s]`: draws
 * a V8 CPU profile (node `--cpu-prof`, one file per thread) as a flame graph: callers below,
 * callees above, each box as wide as the share of samples in which its frame was on the stack.
 * `--from`/`--to` keep only the samples between those seconds of the profile (the steady state
 * of a bench step, without start-up and set-up). Prints the shares by category (idle, garbage
 * collection, the project's own code, libraries, Node.js internals) for docs/benchmarks.md.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One box of the graph: a frame under one stack, merged with its same-named siblings. */
interface Box {
  readonly name: string;
  readonly category: Category;
  samples: number;
  readonly children: Map<string, Box>;
}

type Category = 'idle' | 'gc' | 'parley' | 'library' | 'node' | 'native';
const COLORS: Record<Category, string> = {
  idle: '#d9d9d9',
  gc: '#e6550d',
  parley: '#3182bd',
  library: '#31a354',
  node: '#fdae6b',
  native: '#9e9ac8',
};

function categoryOf(f: CallFrame): Category {
  if (f.functionName === '(idle)') return 'idle';
  if (f.functionName === '(garbage collector)') return 'gc';
  if (f.url.includes('node_modules')) return 'library';
  if (f.url.startsWith('node:')) return 'node';
  if (f.url.includes('/dist/') || f.url.includes('/src/') || f.url.includes('/bench/')) return 'parley';
  return 'native';
}

/** The frame's label: function, then file and line (paths cut to the part after the project or package root). */
function labelOf(f: CallFrame): string {
  const fn = f.functionName || '(anonymous)';
  if (!f.url) return fn;
  const url = f.url.replace(/^file:\/\//, '');
  const short = url.includes('node_modules/') ? url.slice(url.lastIndexOf('node_modules/') + 13) : url.replace(/^.*?\/(dist|src|bench)\//, '$1/');
  return `${fn} ${short}:${f.lineNumber + 1}`;
}

function build(profile: CpuProfile, fromSec: number, toSec: number): { root: Box; total: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Samples per profile node inside the window.
  const hits = new Map<number, number>();
  let t = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const sec = t / 1e6;
    if (sec < fromSec || sec > toSec) return;
    hits.set(id, (hits.get(id) ?? 0) + 1);
    total++;
  });
  const root: Box = { name: 'all', category: 'native', samples: total, children: new Map() };
  for (const [id, count] of hits) {
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node && node.callFrame.functionName !== '(root)') stack.push(node.callFrame);
    }
    let box = root;
    for (const frame of stack.reverse()) {
      const name = labelOf(frame);
      let next = box.children.get(name);
      if (!next) {
        next = { name, category: categoryOf(frame), samples: 0, children: new Map() };
        box.children.set(name, next);
      }
      next.samples += count;
      box = next;
    }
  }
  return { root, total };
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function render(root: Box, total: number, title: string): string {
  const W = 1200;
  const ROW = 16;
  const minWidth = 0.5;
  const rows: string[] = [];
  let depth = 0;
  const draw = (box: Box, x: number, level: number): void => {
    const w = (box.samples / Math.max(1, total)) * W;
    if (w < minWidth) return;
    depth = Math.max(depth, level);
    const pct = ((box.samples / Math.max(1, total)) * 100).toFixed(1);
    const chars = Math.floor((w - 4) / 6.5);
    const text = chars >= 3 ? (box.name.length > chars ? `${box.name.slice(0, chars - 1)}…` : box.name) : '';
    rows.push(
      `<g><title>${escape(box.name)} — ${pct} %</title><rect x="${x.toFixed(1)}" y="{Y${level}}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${COLORS[box.category]}" rx="2"/>` +
        (text ? `<text x="${(x + 3).toFixed(1)}" y="{T${level}}">${escape(text)}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const child of [...box.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, cx, level + 1);
      cx += (child.samples / Math.max(1, total)) * W;
    }
  };
  draw(root, 0, 0);
  const top = 40;
  const H = top + (depth + 1) * ROW + 40;
  // Level 0 at the bottom: callers below, callees above.
  const body = rows.map((r) => r.replace(/\{Y(\d+)\}/g, (_, l: string) => String(H - 40 - (Number(l) + 1) * ROW)).replace(/\{T(\d+)\}/g, (_, l: string) => String(H - 40 - Number(l) * ROW - 4)));
  const legend = (Object.entries(COLORS) as [Category, string][]).map(([c, color], i) => `<rect x="${10 + i * 110}" y="${H - 24}" width="12" height="12" fill="${color}"/><text x="${26 + i * 110}" y="${H - 14}">${c}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-family="sans-serif" font-size="15">${escape(title)}</text>`,
    ...body,
    ...legend,
    '</svg>',
  ].join('\n');
}

/** Samples whose innermost frame is each box, summed by `keyOf` (each sample counted once). */
function selfSamples<K>(root: Box, keyOf: (box: Box) => K): Map<K, number> {
  const self = new Map<K, number>();
  const walk = (box: Box): void => {
    let inChildren = 0;
    for (const c of box.children.values()) {
      inChildren += c.samples;
      walk(c);
    }
    if (box !== root) self.set(keyOf(box), (self.get(keyOf(box)) ?? 0) + box.samples - inChildren);
  };
  walk(root);
  return self;
}

const percent = (n: number, total: number): string => ((n / Math.max(1, total)) * 100).toFixed(1);

/** Samples per category, counting each sample once by its innermost frame. */
function shares(root: Box, total: number): Record<string, string> {
  return Object.fromEntries([...selfSamples(root, (b) => b.category)].sort((a, b) => b[1] - a[1]).map(([c, n]) => [c, `${percent(n, total)} %`]));
}

/** The frames with the most samples of their own (innermost), merged by label. */
function topSelf(root: Box, total: number, count: number): string[] {
  return [...selfSamples(root, (b) => b.name)]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${percent(n, total).padStart(5)} %  ${name}`);
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { title: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string' } } });
const [input, output] = positionals;
if (!input || !output) {
  process.stderr.write('usage: npx tsx bench/flamegraph.ts <in.cpuprofile> <out.svg> [--title T] [--from s] [--to s] [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(input, 'utf8')) as CpuProfile;
const { root, total } = build(profile, Number(values.from ?? 0), Number(values.to ?? Infinity));
writeFileSync(output, render(root, total, values.title ?? input));
process.stdout.write(`${JSON.stringify({ samples: total, shares: shares(root, total) }, null, 1)}\n${topSelf(root, total, Number(values.top ?? 25)).join('\n')}\n`);
