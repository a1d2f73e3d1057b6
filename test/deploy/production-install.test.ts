import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { chatRoundTrip } from '../helpers/chat-check.js';
import { freePort } from '../helpers/free-port.js';
import { ROOT, waitReady, type Proc } from '../process/helpers.js';

// The way an operator installs Parley without a container: a copy of the repository, built,
// then its dev dependencies removed (README: Production install). The copy's node_modules is a
// copy of this checkout's (npm ci would fetch packages); `npm prune` then works on the copy.

/** What the install needs from the repository (the Dockerfile copies the same). */
const TREE = ['src', 'scripts', 'web', 'packages/client/src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** `node scripts/start.mjs` (what `npm start` runs), or `npm start` itself, in `dir`, with exactly `env`. */
function start(dir: string, env: Record<string, string>, viaNpm = false): Proc {
  const [command, args] = viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, ['scripts/start.mjs']];
  // A process group of its own: the cleanup kills whatever it left (a server orphaned by npm).
  const child = spawn(command, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

/** SIGKILLs the process group `start` made, ignoring one already gone. */
function killGroup(proc: Proc): void {
  try {
    if (proc.child.pid !== undefined) process.kill(-proc.child.pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Starts the tree, waits for /readyz, runs `use`, then stops it with SIGTERM and expects a graceful exit 0. */
async function served(dir: string, use: (port: number, proc: Proc) => Promise<void>, { buildMs = 0, viaNpm = false } = {}): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-prod-data-'));
  const port = await freePort();
  const proc = start(dir, { APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, viaNpm);
  try {
    await waitReady(port, proc, 20_000 + buildMs);
    await use(port, proc);
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    assert.equal(code, 0, proc.output());
    assert.match(proc.output(), /"msg":"shutting down".*"msg":"parley stopped"/s, 'SIGTERM reached the server, which stopped gracefully');
    return proc.output();
  } finally {
    killGroup(proc);
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The packages the built code imports by bare name (not node: builtins, not relative paths), with a file that does. */
function bareImports(distDir: string): Map<string, string> {
  const found = new Map<string, string>();
  // Static imports and re-exports (a statement that starts a line, as tsc prints them), bare
  // imports and dynamic ones; not a `from "…"` inside a string.
  const IMPORT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/gm;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      // dist/console holds the web console's browser bundles: files served, never imported.
      if (statSync(path).isDirectory()) {
        if (path !== join(distDir, 'console')) walk(path);
      } else if (name.endsWith('.js')) {
        for (const m of readFileSync(path, 'utf8').matchAll(IMPORT)) {
          const spec = m[1] ?? m[2] ?? m[3] ?? '';
          if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0] ?? '')) continue;
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
          if (!found.has(spec)) found.set(spec, `${relative(distDir, path)} imports ${pkg}`);
        }
      }
    }
  };
  walk(distDir);
  return found;
}

describe('a production install: built, dev dependencies pruned, started with npm start', () => {
  it('builds on the first start only, then runs chat from the pruned tree without TypeScript', { timeout: 300_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-prod-'));
    try {
      for (const entry of TREE) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
      // cp keeps symlinks (node_modules/.bin) and modes as they are; faster than cpSync here.
      execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(dir, 'node_modules')]);
      const stampPath = join(dir, 'dist', '.build-stamp.json');
      const mainPath = join(dir, 'dist', 'main.js');

      let stamp = '';
      let builtAt = 0;
      await t.test('the first start finds no dist/, builds it, stamps it and serves', async () => {
        const out = await served(dir, () => Promise.resolve(), { buildMs: 180_000 });
        assert.match(out, /parley: building \(dist\/ has not been built\)/);
        stamp = readFileSync(stampPath, 'utf8');
        builtAt = statSync(mainPath).mtimeMs;
      });

      await t.test('the second start does not rebuild: same stamp, dist/ untouched', async () => {
        const out = await served(dir, () => Promise.resolve());
        assert.doesNotMatch(out, /parley: building/);
        assert.equal(readFileSync(stampPath, 'utf8'), stamp);
        assert.equal(statSync(mainPath).mtimeMs, builtAt);
      });

      await t.test('every package the built code imports is a runtime dependency', () => {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
        const imports = bareImports(join(dir, 'dist'));
        assert.ok(imports.size >= 10, `found the imports (${imports.size})`);
        const undeclared = [...imports.values()].filter((where) => !(where.split(' imports ')[1]! in pkg.dependencies));
        assert.deepEqual(undeclared, [], 'imported at run time but not in dependencies');
      });

      await t.test('npm prune --omit=dev removes the dev dependencies, and every import still resolves', () => {
        execFileSync('npm', ['prune', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'], { cwd: dir, stdio: 'pipe' });
        for (const dev of ['typescript', 'tsx', 'eslint', '@types/node']) assert.ok(!existsSync(join(dir, 'node_modules', dev)), `${dev} pruned`);
        // Resolve each bare import from a module inside dist/, as the server would.
        const specs = [...bareImports(join(dir, 'dist')).keys()];
        const probe = join(dir, 'dist', 'resolve-probe.mjs');
        writeFileSync(probe, `const bad = [];\nfor (const s of ${JSON.stringify(specs)}) { try { import.meta.resolve(s); } catch (e) { bad.push(s + ': ' + e.code); } }\nprocess.stdout.write(JSON.stringify(bad));\n`);
        try {
          assert.deepEqual(JSON.parse(execFileSync(process.execPath, [probe], { cwd: dir, encoding: 'utf8' })), []);
        } finally {
          rmSync(probe);
        }
      });

      await t.test('the pruned tree starts without building and delivers a message over the WebSocket', async () => {
        const out = await served(dir, async (port) => {
          const { messageId } = await chatRoundTrip(`ws://127.0.0.1:${String(port)}/`);
          assert.match(messageId, /^[0-9a-f]{24}$/);
          // The web console was built with the rest and is served without Vite.
          const page = await fetch(`http://127.0.0.1:${String(port)}/console/`);
          assert.equal(page.status, 200);
          const html = await page.text();
          const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
          assert.ok(script !== undefined, 'the page names its script');
          const asset = await fetch(`http://127.0.0.1:${String(port)}${script}`);
          assert.equal(asset.status, 200);
          assert.match(asset.headers.get('content-type') ?? '', /text\/javascript/);
        });
        assert.doesNotMatch(out, /parley: building/);
        assert.equal(readFileSync(stampPath, 'utf8'), stamp);
      });

      await t.test('the admin CLI runs in the pruned tree (npm run admin, from dist/, no tsx)', () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'parley-prod-admin-'));
        try {
          const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir };
          const created = JSON.parse(execFileSync('npm', ['run', '-s', 'admin', '--', 'org', 'create', 'Pruned', 'Co', '--json'], { cwd: dir, env, encoding: 'utf8' })) as { organization: { _id: string; name: string } };
          assert.equal(created.organization.name, 'Pruned Co');
          const listed = execFileSync('npm', ['run', '-s', 'admin', '--', 'org', 'list', '--json'], { cwd: dir, env, encoding: 'utf8' });
          assert.ok(listed.includes(created.organization._id), listed);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
        assert.equal(readFileSync(stampPath, 'utf8'), stamp, 'nothing rebuilt');
      });

      await t.test('npm start: SIGTERM to npm itself reaches the server, which stops gracefully; npm exits 0', async () => {
        const out = await served(dir, () => Promise.resolve(), { viaNpm: true });
        assert.doesNotMatch(out, /parley: building/);
      });

      await t.test("the server's exit code comes through npm start's script (a configuration error exits 2)", async () => {
        const proc = start(dir, { APP_PORT: 'not-a-port', DATA_DIR: join(dir, 'unused') });
        const { code } = await proc.exited;
        assert.equal(code, 2, proc.output());
        assert.match(proc.output(), /APP_PORT must be a whole number/);
      });

      await t.test('a source changed after pruning: start refuses plainly, since it cannot build', async () => {
        appendFileSync(join(dir, 'src', 'main.ts'), '\n// edited after the build\n');
        const proc = start(dir, { DATA_DIR: join(dir, 'unused') });
        const { code } = await proc.exited;
        assert.equal(code, 1);
        assert.match(proc.output(), /cannot start: the sources changed since the last build, and TypeScript, which builds it, is not installed/);
        assert.equal(readFileSync(stampPath, 'utf8'), stamp, 'dist/ left as it was');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
