import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSettings } from './lib/settings.js';
import { scenarios, XMPP_SERVERS, type ScenarioOptions, type XmppServerName } from './scenarios.js';

/**
 * `npm run bench -- <scenario> [options]`: runs one load scenario against Parley (and, where the
 * scenario says, against the bare `ws` baseline in the same run) and writes the result as JSON
 * under bench/results/. See docs/benchmarks.md for what each scenario measures.
 */
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string', default: 'sqlite' },
    workers: { type: 'string', default: '2' },
    duration: { type: 'string' },
    users: { type: 'string' },
    group: { type: 'string', default: '4' },
    connections: { type: 'string' },
    messages: { type: 'string' },
    rates: { type: 'string' },
    out: { type: 'string' },
    'server-env': { type: 'string' },
    warmup: { type: 'string' },
    server: { type: 'string', default: 'both' },
    packets: { type: 'string' },
    seed: { type: 'string' },
    trials: { type: 'string' },
    nodes: { type: 'string' },
    moderate: { type: 'string' },
  },
});
const name = positionals[0] ?? '';
const scenario = scenarios[name];
if (!scenario) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--store sqlite|postgres] [--workers N] [--duration s] [--rates r1,r2,...] [--server prosody|ejabberd|both (xmpp)] [--packets N --seed S (fuzz)] [--trials N (crash)] [--nodes 1,2,3 --moderate R (cluster)] ...\n`);
  process.exit(2);
}
const xmppServers: XmppServerName[] = values.server === 'both' ? ['prosody', 'ejabberd'] : [values.server as XmppServerName];
if (!xmppServers.every((s) => Object.hasOwn(XMPP_SERVERS, s))) {
  process.stderr.write(`--server must be ${Object.keys(XMPP_SERVERS).join(', ')} or both\n`);
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
// The server under test is the built dist/; BENCH_NO_BUILD=1 runs dist/ as it is (e.g. instrumented).
if (process.env.BENCH_NO_BUILD !== '1') execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const opts: ScenarioOptions = {
  // A cluster runs on PostgreSQL only; its results are named so.
  store: values.store === 'postgres' || name === 'cluster' ? 'postgres' : 'sqlite',
  workers: Number(values.workers),
  durationSec: values.duration !== undefined ? Number(values.duration) : undefined,
  users: values.users !== undefined ? Number(values.users) : undefined,
  groupSize: Number(values.group),
  connections: values.connections !== undefined ? Number(values.connections) : undefined,
  messages: values.messages !== undefined ? Number(values.messages) : undefined,
  rates: values.rates?.split(',').map(Number),
  warmupSec: values.warmup !== undefined ? Number(values.warmup) : undefined,
  xmppServers,
  packets: values.packets !== undefined ? Number(values.packets) : undefined,
  seed: values.seed !== undefined ? Number(values.seed) : undefined,
  trials: values.trials !== undefined ? Number(values.trials) : undefined,
  nodeCounts: values.nodes?.split(',').map(Number),
  moderateRate: values.moderate !== undefined ? Number(values.moderate) : undefined,
  serverEnv: parseSettings(values['server-env']),
};
const started = new Date();
const result = await scenario(opts);
const record = {
  scenario: name,
  store: opts.store,
  date: started.toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
  result,
};
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = values.out ?? join(outDir, `${name}-${opts.store}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(record, null, 2));
process.stdout.write(`${JSON.stringify(record, null, 2)}\nwritten: ${file}\n`);
process.exit(0);
