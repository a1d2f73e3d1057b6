// Runs the test files under src/, test/ and bench/ with node's test runner through tsx.
// Usage: node scripts/run-tests.mjs [--postgres] [filter-substring ...]
//   --postgres  run the end-to-end tests (test/e2e) again with every server on PostgreSQL.
//               Where no PostgreSQL server is installed this prints why and exits 0 — except in
//               CI (CI set), where it fails: CI must run the PostgreSQL tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function postgresInstalled() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'initdb')))) return true;
  try {
    execFileSync('sh', ['-c', 'command -v initdb'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
const postgres = args.includes('--postgres');
const filters = args.filter((a) => a !== '--postgres');
const roots = postgres ? ['test/e2e'] : ['src', 'test', 'bench'];
const files = roots.flatMap((d) => (existsSync(d) ? walk(d, []) : []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const env = { ...process.env };
if (postgres) {
  if (!postgresInstalled()) {
    if (process.env.CI) {
      console.error('PostgreSQL server binaries not found, and CI must run the PostgreSQL tests');
      process.exit(1);
    }
    console.log('# skipping end-to-end tests on PostgreSQL: no PostgreSQL server installed (apt-get install postgresql)');
    process.exit(0);
  }
  env.PARLEY_TEST_STORE = 'postgres';
  console.log(`# end-to-end tests on PostgreSQL (${files.length} files)`);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Tests that time a victim's pings while a hostile client (or a spinning conversation handler)
// loads the server run alone, after the rest: on a 2-core machine another test file beside them
// would be what they measure.
const alone = (f) => /test[/\\](fuzz[/\\]|process[/\\]hostile-|e2e[/\\]handler-isolation)/.test(f);
const run = (list, n) => (list.length === 0 ? 0 : spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${n}`, '--test-reporter=spec', ...list], { stdio: 'inherit', env }).status ?? 1);
const first = run(files.filter((f) => !alone(f)), concurrency);
const second = run(files.filter(alone), '1');
process.exit(first !== 0 ? first : second);
