import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import WebSocket from 'ws';
import { Rng } from '../fuzz/rng.js';
import { freePort, ROOT, waitReady, type Proc } from './helpers.js';

/**
 * One crash trial: a server process under load from several clients sending messages with client
 * ids is killed with SIGKILL at a random moment and restarted on the same store; each client then
 * resends every message it had not seen acknowledged, with the same id, and a few it had. Passes
 * when every acknowledged message is stored exactly once under the server id its ack named, every
 * resend is acknowledged, and no client id is stored twice. Shared by test/process and
 * `npm run bench -- crash`.
 */

export interface CrashTrialOptions {
  /** How to run the server: `[command, ...args]` (tsx on src/main.ts in tests, dist/main.js in the bench). */
  readonly server: readonly string[];
  /** DATABASE_URL of an empty database, or undefined for the embedded SQLite store. */
  readonly databaseUrl?: string;
  readonly seed: number;
  readonly clients?: number;
  /** Outstanding messages per client. */
  readonly window?: number;
}

export interface CrashTrialResult {
  readonly seed: number;
  /** Messages sent before the kill. */
  readonly sent: number;
  /** Acknowledged before the kill. */
  readonly ackedBeforeKill: number;
  /** Resent after the restart (unacknowledged ones, plus some acknowledged ones). */
  readonly resent: number;
  /** Distinct client ids acknowledged in the end, each checked in the store. */
  readonly checked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Acks whose server id differs from the stored one (before vs after the kill, or vs the store). */
  readonly mismatched: number;
  /** Error replies and resends that were never acknowledged. */
  readonly errors: number;
  readonly killAfterMs: number;
  readonly elapsedMs: number;
}

const ADMIN = 'crash-admin';
const PASSWORD = 'crash-password';
const REPLY_TIMEOUT_MS = 15_000;

type Frame = Record<string, any>;

/** A client socket: requests by id, message acks by `ask.mid`. */
class Client {
  private readonly waiters = new Map<string, (f: Frame) => void>();
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8')) as Frame;
      const id = (f.response?.id ?? f.ask?.mid ?? f.message?.id) as string | undefined;
      const w = id === undefined ? undefined : this.waiters.get(id);
      if (w) {
        this.waiters.delete(id as string);
        w(f);
      }
    });
    ws.on('error', () => undefined); // the kill resets sockets; 'close' is what matters
    ws.once('close', () => {
      for (const w of this.waiters.values()) w({ closed: true });
      this.waiters.clear();
    });
  }

  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  private await(id: string): Promise<Frame> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ timeout: true });
      }, REPLY_TIMEOUT_MS);
      this.waiters.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  async request(name: string, body: Record<string, unknown>): Promise<Frame> {
    const id = `q${++this.seq}`;
    const reply = this.await(id);
    this.ws.send(JSON.stringify({ request: { [name]: body, id } }));
    const f = await reply;
    if (f.response?.error !== undefined || f.response === undefined) throw new Error(`${name} failed: ${JSON.stringify(f)}`);
    return f.response as Frame;
  }

  /** Sends a message; resolves with its ack (`{ask}`), an error reply, or `{closed}` / `{timeout}`. */
  message(cid: string, id: string): Promise<Frame> {
    const reply = this.await(id);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ message: { id, cid, body: `body of ${id}` } }));
    return reply;
  }

  close(): void {
    this.ws.terminate();
  }
}

function startServer(opts: CrashTrialOptions, env: Record<string, string>): Proc {
  const [cmd, ...args] = opts.server;
  const child = spawn(cmd as string, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

/** Stored client id → [server ids] for the trial's conversation, read from the store itself. */
async function storedMessages(opts: CrashTrialOptions, dataDir: string, cid: string): Promise<Map<string, string[]>> {
  let rows: { id: string; client_id: string | null }[];
  if (opts.databaseUrl === undefined) {
    const db = new Database(join(dataDir, 'parley.db'), { readonly: true });
    try {
      rows = db.prepare('select id, client_id from messages where cid = ?').all(cid) as typeof rows;
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    await client.connect();
    try {
      rows = (await client.query<{ id: string; client_id: string | null }>('select id, client_id from messages where cid = $1', [cid])).rows;
    } finally {
      await client.end();
    }
  }
  const out = new Map<string, string[]>();
  for (const r of rows) if (r.client_id !== null) out.set(r.client_id, [...(out.get(r.client_id) ?? []), r.id]);
  return out;
}

/** Runs one trial and returns its figures; throws only when the trial could not be set up. */
export async function crashTrial(opts: CrashTrialOptions): Promise<CrashTrialResult> {
  const t0 = performance.now();
  const rng = new Rng(opts.seed);
  const clients = opts.clients ?? 3;
  const window = opts.window ?? 16;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
  const port = await freePort();
  const env: Record<string, string> = {
    APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_ADMIN_API_KEY: ADMIN,
    PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1', WS_HEARTBEAT_INTERVAL_MS: '0',
    // The embedded store checkpoints every few seconds by default, later than the kill below
    // comes; a round every 50–1,000 ms puts kills during and after checkpoints and WAL restarts.
    ...(opts.databaseUrl !== undefined ? { DATABASE_URL: opts.databaseUrl } : { SQLITE_CHECKPOINT_MS: String(rng.int(50, 1000)) }),
  };
  let proc = startServer(opts, env);
  const sockets: Client[] = [];
  try {
    await waitReady(port, proc);
    const url = `ws://127.0.0.1:${port}/`;
    const orgRes = await fetch(`http://127.0.0.1:${port}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN }, body: JSON.stringify({ name: `crash${opts.seed}` }) });
    const orgId = ((await orgRes.json()) as { organization: { _id: string } }).organization._id;
    const logins = Array.from({ length: clients }, (_, i) => `sender${i}`);
    const setup = await Client.open(url);
    sockets.push(setup);
    const userIds: string[] = [];
    for (const login of logins) userIds.push(((await setup.request('user_create', { organization_id: orgId, login, password: PASSWORD, email: `${login}@crash.local` })).user as Frame)._id as string);
    await setup.request('user_login', { organization_id: orgId, login: logins[0], password: PASSWORD, device_id: 'setup' });
    const cid = ((await setup.request('conversation_create', { type: 'g', name: 'crash', participants: userIds.slice(1) })).conversation as Frame)._id as string;
    setup.close();

    const login = async (i: number): Promise<Client> => {
      const c = await Client.open(url);
      sockets.push(c);
      await c.request('user_login', { organization_id: orgId, login: logins[i], password: PASSWORD, device_id: `d${i}` });
      return c;
    };
    // Phase 1: load until the kill. acked: client id → server id from its ack.
    const acked = Array.from({ length: clients }, () => new Map<string, string>());
    const sentIds = Array.from({ length: clients }, () => [] as string[]);
    let errors = 0;
    let killed = false;
    const load = async (i: number, c: Client): Promise<void> => {
      const inflight = new Set<Promise<void>>();
      for (let n = 0; !killed; n++) {
        const id = `t${opts.seed}c${i}m${n}`;
        sentIds[i]?.push(id);
        const p = c.message(cid, id).then((f) => {
          if (f.ask) acked[i]?.set(id, f.ask.server_mid as string);
          else if (f.message?.error !== undefined) errors += 1;
        });
        inflight.add(p);
        void p.then(() => inflight.delete(p));
        if (inflight.size >= window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    };
    const senders = await Promise.all(logins.map((_, i) => login(i)));
    const killAfterMs = rng.int(150, 1200);
    const loading = Promise.all(senders.map((c, i) => load(i, c)));
    await new Promise((r) => setTimeout(r, killAfterMs));
    killed = true;
    proc.child.kill('SIGKILL');
    await proc.exited;
    await loading;
    const ackedBeforeKill = acked.reduce((a, m) => a + m.size, 0);
    const sent = sentIds.reduce((a, s) => a + s.length, 0);

    // Phase 2: restart; resend every unacknowledged message and up to 5 acknowledged ones.
    proc = startServer(opts, env);
    await waitReady(port, proc);
    let resent = 0;
    let mismatched = 0;
    const after = await Promise.all(logins.map((_, i) => login(i)));
    await Promise.all(
      after.map(async (c, i) => {
        const mine = acked[i] as Map<string, string>;
        const retry = (sentIds[i] ?? []).filter((id) => !mine.has(id));
        const again = [...mine.keys()].filter(() => rng.chance(0.5)).slice(0, 5);
        resent += retry.length + again.length;
        for (let k = 0; k < retry.length + again.length; k += window) {
          const batch = [...retry, ...again].slice(k, k + window);
          await Promise.all(
            batch.map(async (id) => {
              const f = await c.message(cid, id);
              if (!f.ask) {
                errors += 1;
                return;
              }
              const before = mine.get(id);
              if (before !== undefined && before !== f.ask.server_mid) mismatched += 1;
              mine.set(id, f.ask.server_mid as string);
            }),
          );
        }
      }),
    );
    for (const c of after) c.close();
    // Stop the server before reading its store.
    proc.child.kill('SIGTERM');
    await proc.exited;
    const stored = await storedMessages(opts, dataDir, cid);
    let lost = 0;
    let checked = 0;
    for (const mine of acked) {
      for (const [id, serverId] of mine) {
        checked += 1;
        const rows = stored.get(id) ?? [];
        if (rows.length === 0) lost += 1;
        else if (rows[0] !== serverId) mismatched += 1;
      }
    }
    const duplicated = [...stored.values()].filter((ids) => ids.length > 1).length;
    return { seed: opts.seed, sent, ackedBeforeKill, resent, checked, lost, duplicated, mismatched, errors, killAfterMs, elapsedMs: Math.round(performance.now() - t0) };
  } finally {
    for (const s of sockets) s.close();
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The figures of several trials added up. */
export function sumTrials(results: readonly CrashTrialResult[]): Record<string, number> {
  const keys = ['sent', 'ackedBeforeKill', 'resent', 'checked', 'lost', 'duplicated', 'mismatched', 'errors'] as const;
  return Object.fromEntries([['trials', results.length], ...keys.map((k) => [k, results.reduce((a, r) => a + r[k], 0)])]);
}
