import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/store.js';
import { freePort } from './free-port.js';

/**
 * A throwaway PostgreSQL server for tests: initdb in a temp dir, `postgres` on a free loopback
 * port, one fresh database per `createDatabase()`. As root (CI), the server runs as the
 * `postgres` system user, since PostgreSQL refuses to run as root.
 */
export class TestPostgres {
  private constructor(
    private readonly dir: string,
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly user: string,
  ) {}

  /** Where the PostgreSQL server binaries are, or undefined when none is installed. */
  static binDir(): string | undefined {
    const base = '/usr/lib/postgresql';
    if (existsSync(base)) {
      const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
      if (versions[0] !== undefined) return join(base, versions[0], 'bin');
    }
    try {
      const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
      return initdb ? join(initdb, '..') : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Why PostgreSQL tests cannot run here, or undefined when they can. In CI (CI=true) a missing
   * server is an error, not a reason to skip: CI must run the PostgreSQL tests.
   */
  static unavailable(): string | undefined {
    if (TestPostgres.binDir() !== undefined) return undefined;
    const reason = 'PostgreSQL server binaries (initdb, postgres) not found; install the postgresql package to run these tests';
    if (process.env.CI) throw new Error(`${reason} (CI must run them)`);
    return reason;
  }

  /**
   * Starts a server. By default it trades durability for speed (`fsync=off`,
   * `full_page_writes=off`), which is right for tests; `durable: true` keeps PostgreSQL's own
   * defaults for both, so a commit waits for the disk as in production (the bench uses it).
   * `settings` adds server settings (`-c name=value`).
   */
  static async start(opts: { durable?: boolean; settings?: Readonly<Record<string, string>> } = {}): Promise<TestPostgres> {
    const bin = TestPostgres.binDir();
    if (bin === undefined) throw new Error('PostgreSQL binaries not found');
    const asRoot = process.getuid?.() === 0;
    const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
    const data = join(dir, 'data');
    const user = asRoot ? 'postgres' : (process.env.USER ?? 'postgres');
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o700);
    }
    // setpriv execs in place (no wrapper process), so signals reach postgres itself.
    const run = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', cmd, ...args]] : [cmd, args]);
    const [initCmd, initArgs] = run(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    execFileSync(initCmd, initArgs, { stdio: 'pipe' });
    const port = await freePort();
    const [pgCmd, pgArgs] = run(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']), '-c', 'max_connections=200', ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`])]);
    const child = spawn(pgCmd, pgArgs, { stdio: 'ignore' });
    const server = new TestPostgres(dir, child, port, user);
    try {
      await server.waitReady();
    } catch (err) {
      // Not ready in time is still a server of ours: stop it rather than leave it behind.
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  /** The postmaster's pid: the backends and helper processes are its children. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: this.user, database: 'postgres' });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (this.child.exitCode !== null) throw new Error(`postgres exited with ${this.child.exitCode}`, { cause: err });
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * One server for the whole test process, started on first use and killed when the process
   * exits (test files run in separate processes, so each file gets its own).
   */
  static shared(): Promise<TestPostgres> {
    sharedServer ??= TestPostgres.start().then((server) => {
      // Do not keep the test process alive; it kills the server as it exits.
      server.child.unref();
      process.once('exit', () => {
        server.child.kill('SIGKILL');
        rmSync(server.dir, { recursive: true, force: true });
      });
      return server;
    });
    return sharedServer;
  }

  /** Creates an empty database and returns its connection URL. */
  async createDatabase(): Promise<string> {
    const name = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: this.user, database: 'postgres' });
    await client.connect();
    try {
      await client.query(`create database ${name}`);
    } finally {
      await client.end();
    }
    return `postgres://${this.user}@127.0.0.1:${this.port}/${name}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        // SIGINT = PostgreSQL's "fast shutdown".
        this.child.kill('SIGINT');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let sharedServer: Promise<TestPostgres> | undefined;

/**
 * Two stores on one fresh database, each with its own pool, standing for two nodes of a cluster
 * (message inserts chained as in cluster mode). Registers the suite's before/after hooks; call
 * the returned function inside a test for the stores.
 */
export function twoPostgresNodes(): () => [Store, Store] {
  let server: TestPostgres | undefined;
  let nodes: [Store, Store] | undefined;
  before(async () => {
    server = await TestPostgres.start();
    const url = await server.createDatabase();
    nodes = [await openPostgresStore({ url, orderAcrossNodes: true }), await openPostgresStore({ url, orderAcrossNodes: true })];
  });
  after(async () => {
    for (const n of nodes ?? []) await n.close();
    await server?.stop();
  });
  return () => {
    if (!nodes) throw new Error('the PostgreSQL nodes are not started');
    return nodes;
  };
}
