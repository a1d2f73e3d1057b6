import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** Where Debian puts the binary (/usr/sbin is not on every user's PATH). */
const DEBIAN_NGINX = '/usr/sbin/nginx';

function nginxBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return existsSync(DEBIAN_NGINX) ? DEBIAN_NGINX : undefined;
  }
}

/**
 * `siteConfig` (an http-context file shaped like deploy/nginx/parley.conf) pointed at test
 * servers: the `server host:port params;` lines of its `upstream parley { }` block become one line
 * per entry of `nodes`, each with the parameters of the first such line, and its one `listen`
 * line becomes `listen <listen>;`. Throws when the file does not have that shape, so a config
 * edited out of it fails the test instead of being half rewritten.
 */
export function pointSiteConfigAt(siteConfig: string, nodes: readonly string[], listen: string): string {
  const lines = siteConfig.split('\n');
  const start = lines.findIndex((l) => /^\s*upstream\s+parley\s*\{\s*$/.test(l));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i > start && /^\s*\}\s*$/.test(l));
  if (start < 0 || end < 0) throw new Error('no `upstream parley {` ... `}` block');
  const nodeLine = /^(\s*)server\s+\S+:\d+((?:\s+[^;\s]+)*)\s*;\s*$/;
  const nodeLines = lines.map((l, i) => (i > start && i < end ? nodeLine.exec(l) : null));
  const first = nodeLines.find((m) => m !== null);
  if (!first) throw new Error('no `server host:port ...;` line in the upstream block');
  const [, indent = '', params = ''] = first;
  const out: string[] = [];
  let placed = false;
  for (const [i, line] of lines.entries()) {
    if (nodeLines[i] === null || nodeLines[i] === undefined) {
      out.push(line);
      continue;
    }
    if (!placed) for (const n of nodes) out.push(`${indent}server ${n}${params};`);
    placed = true;
  }
  const listens = out.flatMap((l, i) => (/^\s*listen\b/.test(l) ? [i] : []));
  const at = listens[0] ?? -1;
  const listenLine = /^(\s*)listen\s+[^;]+;\s*$/.exec(out[at] ?? '');
  if (listens.length !== 1 || !listenLine) throw new Error('expected exactly one `listen ...;` line');
  out[at] = `${listenLine[1] ?? ''}listen ${listen};`;
  return out.join('\n');
}

/**
 * A throwaway nginx for tests: a main config of its own (no daemon, one worker, every path in a
 * temporary directory, errors to stderr, kept for assertions) that includes a site config, listening
 * on a free loopback port. Tests skip with a printed reason where the binary is absent, except
 * in CI (CI=true), which must run them.
 */
export class TestNginx {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly errors: { text: string },
  ) {}

  /** Why nginx tests cannot run here, or undefined when they can; throws in CI. */
  static unavailable(): string | undefined {
    if (nginxBinary() !== undefined) return undefined;
    const reason = 'nginx not found; install the nginx package to run these tests';
    if (process.env.CI) throw new Error(`${reason} (CI must run them)`);
    return reason;
  }

  /** Starts nginx with `siteConfigPath` rewritten by pointSiteConfigAt to `nodePorts` on 127.0.0.1. */
  static async start(siteConfigPath: string, nodePorts: readonly number[]): Promise<TestNginx> {
    const bin = nginxBinary();
    if (bin === undefined) throw new Error('nginx not found');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
    // Run as root (CI), nginx's workers switch to an unprivileged user that must reach the temp paths.
    chmodSync(dir, 0o755);
    const site = pointSiteConfigAt(readFileSync(siteConfigPath, 'utf8'), nodePorts.map((p) => `127.0.0.1:${String(p)}`), `127.0.0.1:${String(port)}`);
    writeFileSync(join(dir, 'site.conf'), site);
    const temp = (name: string): string => `${name}_temp_path ${join(dir, name)};`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        'error_log stderr error;',
        'events { worker_connections 512; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `  ${temp(n)}`),
        `  include ${join(dir, 'site.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const child = spawn(bin, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const errors = { text: '' };
    child.stderr?.on('data', (d: Buffer) => (errors.text += d.toString('utf8')));
    const server = new TestNginx(child, dir, port, errors);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`nginx exited with ${String(child.exitCode)}: ${errors.text}`);
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`nginx did not listen within 10 s: ${errors.text}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${String(this.port)}/`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  /** What nginx has logged so far (level error and above: failed upstream connects among them). */
  get errorLog(): string {
    return this.errors.text;
  }

  /** Fast shutdown (SIGTERM ends open WebSockets at once); removes the temporary directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
