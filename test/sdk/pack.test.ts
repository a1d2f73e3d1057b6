import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../process/helpers.js';
import { TestServer } from '../helpers/server.js';

const PKG = join(ROOT, 'packages', 'client');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command with a time limit; its output is returned, a failure throws with the output. */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The published form of @parley/client: built with tsc, packed with `npm pack`, installed from the
 * tarball into an empty project with no network, imported by Node and type-checked by TypeScript
 * through its `exports`, and used against a running server.
 */
describe('@parley/client package', () => {
  let work: string;
  let tarball: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'parley-sdk-pack-'));
    const pkg = join(work, 'pkg');
    mkdirSync(pkg);
    // Built into a copy, so the test leaves the working tree as it found it.
    run(process.execPath, [TSC, '-p', join(PKG, 'tsconfig.json'), '--outDir', join(pkg, 'dist')], ROOT);
    cpSync(join(PKG, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(PKG, 'README.md'), join(pkg, 'README.md'));
    const packed = JSON.parse(run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], pkg)) as { filename: string; files: { path: string }[] }[];
    const first = packed[0];
    assert.ok(first, 'npm pack made a tarball');
    tarball = join(work, first.filename);
    const files = first.files.map((f) => f.path).sort();
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('README.md') && files.includes('package.json'), files.join(', '));
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && f !== 'README.md' && f !== 'package.json'), [], 'nothing but the build, the README and package.json');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('declares no dependencies and exports what it builds', () => {
    const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.peerDependencies, undefined);
    assert.equal(manifest.type, 'module');
    assert.deepEqual(manifest.exports, { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' });
  });

  it('installs from the tarball into an empty project, imports, type-checks and talks to a server', { timeout: 180_000 }, async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }));
    run(NPM, ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], app);

    const imported = run(process.execPath, ['--input-type=module', '-e', "import * as sdk from '@parley/client'; console.log(JSON.stringify({ keys: Object.keys(sdk).sort(), events: sdk.EVENT_NAMES }))"], app);
    const { keys, events } = JSON.parse(imported) as { keys: string[]; events: string[] };
    for (const k of ['ParleyClient', 'ParleyError', 'ConnectionError', 'EVENT_NAMES', 'backoffDelay']) assert.ok(keys.includes(k), `exports ${k}: ${keys.join(', ')}`);
    assert.ok(events.includes('message'));

    // A TypeScript consumer resolves the declarations through `exports` (strict, libraries checked).
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        "import { ParleyClient, ParleyError, type Events, type Replies, type Message } from '@parley/client';",
        "const client = new ParleyClient({ url: 'ws://localhost:9001/' });",
        "client.on('message', (m: Message, meta) => { const source: 'live' | 'catchup' = meta.source; void source; void m.body; });",
        "export async function demo(): Promise<string> {",
        "  const { conversations } = await client.request('conversation_list', { limit: 10 });",
        "  const ask = await client.send({ cid: conversations[0]?._id ?? '', body: 'hi' });",
        "  const e: Events['message_read'] | undefined = undefined; void e;",
        "  const r: Replies['user_login']['token'] = 'x'; void r;",
        "  // @ts-expect-error: the reply is typed",
        "  const wrong: number = ask.server_mid; void wrong;",
        "  try { await client.request('ping', {}); } catch (err) { if (err instanceof ParleyError) return String(err.status); }",
        "  return ask.server_mid;",
        "}",
      ].join('\n'),
    );
    // A browser project: DOM library, no Node.js types.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false }, files: ['consumer.ts'] }));
    run(process.execPath, [TSC, '-p', app], app);

    // The installed build works: log in and round-trip a message (ws stands in for Node 20's missing WebSocket).
    mkdirSync(join(app, 'node_modules', 'ws'), { recursive: true });
    rmSync(join(app, 'node_modules', 'ws'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', 'ws'), join(app, 'node_modules', 'ws'), 'dir');
    const server = await TestServer.start();
    try {
      const org = await server.createOrg();
      const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
      writeFileSync(
        join(app, 'use.mjs'),
        [
          "import WebSocket from 'ws';",
          "import { ParleyClient } from '@parley/client';",
          'const [url, org, login, password, peer] = process.argv.slice(2);',
          "const client = new ParleyClient({ url, WebSocket, organizationId: org, storage: null });",
          'await client.login({ login, password });',
          "const { conversation } = await client.request('conversation_create', { type: 'u', participants: [peer] });",
          "const ask = await client.send({ cid: conversation._id, body: 'from the tarball' });",
          "const { messages } = await client.request('message_list', { cid: conversation._id });",
          'console.log(JSON.stringify({ stored: messages.map((m) => m._id), ask: ask.server_mid }));',
          'client.close();',
        ].join('\n'),
      );
      const out = await new Promise<string>((resolve, reject) => {
        // Asynchronous: the server runs in this process.
        import('node:child_process')
          .then(({ execFile }) =>
            execFile(process.execPath, ['use.mjs', server.wsUrl, org, a.login, a.password, b._id], { cwd: app, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
          )
          .catch(reject);
      });
      const result = JSON.parse(out) as { stored: string[]; ask: string };
      assert.deepEqual(result.stored, [result.ask]);
    } finally {
      await server.stop();
    }
  });
});
