import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import { startParley, type ParleyNode } from '../../src/main.js';
import { TestClient, type Frame } from './client.js';
import { TestPostgres } from './postgres.js';

export const ADMIN_KEY = 'test-admin-key';

/** A user made through the real `user_create` packet, with the password used. */
export interface TestUser {
  readonly _id: string;
  readonly login: string;
  readonly password: string;
  readonly orgId: string;
  readonly user: Frame;
}

let counter = 0;
/** A login unique within this process (tests share nothing, but logins must not clash). */
export function uniqueName(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${process.pid % 10000}x${counter}${Math.random().toString(36).slice(2, 6)}`;
}

/** With PARLEY_TEST_STORE=postgres, a fresh database on this process's throwaway server. */
async function storeEnv(): Promise<Record<string, string>> {
  if (process.env.PARLEY_TEST_STORE !== 'postgres') return {};
  const server = await TestPostgres.shared();
  return { DATABASE_URL: await server.createDatabase() };
}

/**
 * A Parley node started in-process on a free port with a fresh data dir. `env` overrides settings
 * by their variable names. With PARLEY_TEST_STORE=postgres (scripts/run-tests.mjs --postgres)
 * each node gets its own database on a throwaway PostgreSQL server.
 */
export class TestServer {
  private constructor(
    private current: ParleyNode,
    private readonly dataDir: string,
    private readonly vars: Record<string, string>,
  ) {}

  get node(): ParleyNode {
    return this.current;
  }

  /**
   * Stops the node gracefully and starts a new one (on a new port) on the same data dir or
   * database, optionally with settings changed; `env` keys are variable names as for start().
   * `downMs` keeps the node stopped that long before it starts again.
   */
  async restart(env: Record<string, string> = {}, downMs = 0): Promise<void> {
    await this.current.close();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    const config = loadConfig({ ...this.vars, ...env });
    this.current = await startParley(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  }

  /** `log` replaces the silent logger (tests that read what the server logs). */
  static async start(env: Record<string, string> = {}, log?: Logger): Promise<TestServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
    const vars = {
      APP_PORT: '0',
      BIND_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      HTTP_ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'silent',
      ...(await storeEnv()),
      ...env,
    };
    const node = await startParley(loadConfig(vars), log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
    return new TestServer(node, dataDir, vars);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.node.port}/`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.node.port}`;
  }

  /** Creates an organization through the admin HTTP API and returns its id. */
  async createOrg(name = uniqueName('org')): Promise<string> {
    const res = await fetch(`${this.httpUrl}/admin/organization`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY },
      body: JSON.stringify({ name }),
    });
    if (res.status !== 200) throw new Error(`org create failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { organization: { _id: string } };
    return body.organization._id;
  }

  /** Opens a new, unauthenticated client. */
  client(): Promise<TestClient> {
    return TestClient.open(this.wsUrl);
  }

  /** Creates a user with `user_create` over a throwaway socket. */
  async createUser(orgId: string, fields: Record<string, unknown> = {}): Promise<TestUser> {
    const login = (fields.login as string | undefined) ?? uniqueName();
    const password = (fields.password as string | undefined) ?? 'secret-pass';
    const c = await this.client();
    try {
      const r = await c.request('user_create', { organization_id: orgId, login, password, email: `${login.toLowerCase()}@example.com`, ...fields });
      if (!r.user) throw new Error(`user_create failed: ${JSON.stringify(r)}`);
      return { _id: r.user._id as string, login, password, orgId, user: r.user as Frame };
    } finally {
      await c.close();
    }
  }

  /** Opens a socket and logs `user` in on `deviceId` with `user_login`. */
  async loggedIn(user: TestUser, deviceId = 'd1'): Promise<TestClient> {
    const c = await this.client();
    const r = await c.request('user_login', { organization_id: user.orgId, login: user.login, password: user.password, device_id: deviceId });
    if (!r.token) throw new Error(`login failed: ${JSON.stringify(r)}`);
    return c;
  }

  async stop(): Promise<void> {
    await this.node.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * One `user_login` from a socket bound to `from` (a loopback address) to `server` (a node, or
 * anything else with a WebSocket URL: a load balancer), answered status or 'ok'.
 */
export async function loginFrom(server: Pick<TestServer, 'wsUrl'>, from: string, user: TestUser, password: string, deviceId = 'web'): Promise<number | 'ok'> {
  const ws = new WebSocket(server.wsUrl, { localAddress: from });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    ws.send(JSON.stringify({ request: { user_login: { organization_id: user.orgId, login: user.login, password, device_id: deviceId }, id: 'l' } }));
    const reply = await new Promise<{ response: { token?: string; error?: { status: number } } }>((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString('utf8')) as { response: { token?: string; error?: { status: number } } })));
    if (reply.response.token) return 'ok';
    return reply.response.error?.status ?? 0;
  } finally {
    ws.close();
  }
}
