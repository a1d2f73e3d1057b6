import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/helpers/free-port.js';
import type { SetupTarget } from './worker-protocol.js';

/** A server process under test. */
export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  readonly httpUrl: string;
  /** Spawn → first 200 from /readyz, ms. */
  readonly startupMs: number;
  readonly dataDir: string | undefined;
  /** Set for XMPP servers: the generators speak XMPP to them, with users on `domain` and rooms on `mucDomain`. */
  readonly xmpp?: { readonly domain: string; readonly mucDomain: string };
  /** The server's version where known (XMPP servers: the Debian package version). */
  readonly version?: string;
  /** Stops the server; its data dir is removed unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

export const ADMIN_KEY = 'bench-admin-key';
const ROOT = resolve(import.meta.dirname, '..', '..');

async function waitReady(url: string, child: ChildProcess, t0: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
    if (performance.now() - t0 > 30_000) throw new Error('server not ready within 30 s');
  }
}

function stopper(child: ChildProcess, dataDir: string | undefined): (keepData?: boolean) => Promise<void> {
  return (keepData = false) =>
    new Promise((res) => {
      const done = (): void => {
        if (dataDir && !keepData) rmSync(dataDir, { recursive: true, force: true });
        res();
      };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
}

/**
 * Which Parley to run: the built `dist/main.js` (what every scenario measures), or `src/main.ts`
 * through tsx's import hook, still one process (for the bench's own smoke tests, which must not
 * depend on a build).
 */
export type ParleyEntry = 'dist' | 'source';

/** Starts Parley as its own process with a fresh data dir; `env` adds or overrides settings. */
export async function startParley(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-')), entry: ParleyEntry = 'dist'): Promise<RunningServer> {
  const port = await freePort();
  const t0 = performance.now();
  // BENCH_NODE_ARGS passes node flags to the server, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const main = entry === 'dist' ? [join(ROOT, 'dist', 'main.js')] : ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  // Every generator connection comes from 127.0.0.1: the login and connection caps per address are lifted.
  const child = spawn(process.execPath, [...nodeArgs, ...main], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_ADMIN_API_KEY: ADMIN_KEY, LOGIN_RATE_LIMIT_PER_ADDRESS: '1000000', WS_MAX_CONNECTIONS_PER_ADDRESS: '0', WS_MAX_CONNECTIONS: '0', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  const stop = stopper(child, dataDir);
  let startupMs: number;
  try {
    startupMs = await waitReady(httpUrl, child, t0);
  } catch (err) {
    // A server that never became ready is still a process of ours.
    await stop();
    throw err;
  }
  return { name: 'parley', pid: child.pid ?? 0, port, wsUrl: `ws://127.0.0.1:${port}/`, httpUrl, startupMs, dataDir, stop };
}

/** Starts the bare `ws` fan-out server (bench/baseline-server.ts): the ceiling of this machine. */
export async function startBaseline(): Promise<RunningServer> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'baseline-server.ts'), String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const httpUrl = `http://127.0.0.1:${port}`;
  const startupMs = await waitReady(httpUrl, child, t0);
  // tsx runs the server in a child of its own; measure that process, not the wrapper.
  const pid = Number((await (await fetch(`${httpUrl}/pid`)).text()));
  return { name: 'baseline', pid, port, wsUrl: `ws://127.0.0.1:${port}/`, httpUrl, startupMs, dataDir: undefined, stop: stopper(child, undefined) };
}

/** What the generators need to set up users on `server`: a new organization for SAMA servers, the domains for XMPP ones. */
export async function setupTarget(server: RunningServer, name: string): Promise<SetupTarget> {
  if (server.xmpp) return { protocol: 'xmpp', domain: server.xmpp.domain, mucDomain: server.xmpp.mucDomain };
  return { protocol: 'sama', orgId: await createOrg(server, name) };
}

/** Creates an organization through the admin API. */
export async function createOrg(server: RunningServer, name: string): Promise<string> {
  const r = await fetch(`${server.httpUrl}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ name }) });
  if (r.status !== 200) throw new Error(`organization create failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { organization: { _id: string } }).organization._id;
}
