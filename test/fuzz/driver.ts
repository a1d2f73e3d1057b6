import WebSocket from 'ws';
import { HANDLERS } from '../../src/handlers/index.js';
import { errorViolation, errorsIn, isReply, replyIds } from './checks.js';
import { nextPacket, type FuzzPacket, type IdPool } from './generator.js';
import { Rng } from './rng.js';

/**
 * Runs the hostile-client fuzz against a running server: several signed-in and anonymous sockets
 * each send generated packets with a bounded window of outstanding requests (so the run tests
 * the handlers, not backpressure), every reply is checked for SAMA shape, and a separate socket
 * pings throughout to measure whether other clients still get answers.
 */

/** Where the server under test listens and how to reach its admin API. */
export interface FuzzTarget {
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly adminKey: string;
}

export interface FuzzOptions {
  readonly packets: number;
  readonly seed: number;
  readonly signedIn?: number;
  readonly anonymous?: number;
  /** Outstanding requests per socket. */
  readonly window?: number;
  /** Called now and then with a progress line. */
  readonly progress?: (line: string) => void;
}

/** What a fuzz run saw; `violations` holds the first few bad replies verbatim. */
export interface FuzzReport {
  seed: number;
  packets: number;
  replies: number;
  events: number;
  elapsedMs: number;
  packetsPerSec: number;
  errorsByStatus: Record<string, number>;
  /** Replies without an error, by packet: how deep the fuzz got past validation. */
  successes: Record<string, number>;
  violationCount: number;
  violations: string[];
  /**
   * Frames whose reply carries no id of theirs (garbage, bare packets) left unmatched: such
   * replies are matched oldest first, so this only says replies were fewer than those frames.
   */
  unmatchedAnonymous: number;
  /** Requests with their own id that got no reply within REPLY_TIMEOUT_MS, by packet (silent kinds excluded). */
  noReply: Record<string, number>;
  /** The first few frames that got no reply, with the socket and its request count then. */
  noReplySamples: string[];
  /** Server-side socket closes by code. */
  closes: Record<string, number>;
  pings: { count: number; maxMs: number; p99Ms: number };
}

const REPLY_TIMEOUT_MS = 10_000;
const SILENT_RELEASE_MS = 300;
const PASSWORD = 'fuzz-password';

type Frame = Record<string, unknown>;

interface Pending {
  readonly label: string;
  readonly ids: readonly string[];
  readonly anonymous: boolean;
  readonly timer: NodeJS.Timeout;
  /** The start of the frame sent, for reports. */
  readonly sample: string;
}

interface Creds {
  login: string;
  orgId: string;
  deviceId: string;
  token: string | undefined;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Shared tallies of one run. */
class Tally {
  replies = 0;
  events = 0;
  unmatchedAnonymous = 0;
  violationCount = 0;
  readonly violations: string[] = [];
  readonly errorsByStatus: Record<string, number> = {};
  readonly noReply: Record<string, number> = {};
  readonly successes: Record<string, number> = {};
  readonly noReplySamples: string[] = [];
  readonly closes: Record<string, number> = {};

  violation(what: string): void {
    this.violationCount += 1;
    if (this.violations.length < 20) this.violations.push(what.slice(0, 500));
  }
}

/** One fuzzing socket: sends with a bounded window, matches replies by id (else oldest first). */
/**
 * A control request's socket closed before its reply (the server may close a socket the fuzz
 * sent a frame over twice the size limit, just after the 413 that drain() waited for).
 */
class SocketClosed extends Error {
  constructor(readonly code: number) {
    super(`socket closed (${String(code)}) before the reply`);
  }
}

class FuzzSocket {
  private ws!: WebSocket;
  private readonly pending = new Map<string, Pending>();
  private readonly order: Pending[] = [];
  private waiters: (() => void)[] = [];
  private seq = 0;
  private closing = false;
  private readonly control = new Map<string, (f: Frame) => void>();
  /** Rejecters of control requests in flight: a socket that closes answers none of them. */
  private readonly controlFailures = new Map<string, (err: Error) => void>();

  constructor(
    private readonly url: string,
    private readonly tally: Tally,
    private readonly name: string,
  ) {}

  async open(): Promise<void> {
    this.ws = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    const ws = this.ws;
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', () => undefined); // the close that follows is what counts
    ws.once('close', (code) => {
      if (ws === this.ws && !this.closing) {
        bump(this.tally.closes, String(code));
        for (const p of [...this.order]) this.settle(p);
        for (const fail of [...this.controlFailures.values()]) fail(new SocketClosed(code));
      }
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  nextId(): string {
    return `${this.name}-${++this.seq}`;
  }

  private onFrame(data: Buffer): void {
    let frame: Frame;
    try {
      frame = JSON.parse(data.toString('utf8')) as Frame;
    } catch (err) {
      this.tally.violation(`unparseable reply: ${String(err)}`);
      return;
    }
    const ids = replyIds(frame);
    for (const e of errorsIn(frame)) {
      const status = typeof e === 'object' && e !== null ? String((e as { status?: unknown }).status) : 'bare';
      bump(this.tally.errorsByStatus, status);
      const bad = errorViolation(e);
      const request = ids.map((id) => this.pending.get(id)).find((p) => p !== undefined)?.sample ?? '(unmatched)';
      if (bad !== undefined) this.tally.violation(`${bad} in ${JSON.stringify(frame).slice(0, 300)} for ${request}`);
    }
    const control = ids.map((id) => this.control.get(id)).find((c) => c !== undefined);
    if (control) {
      control(frame);
      return;
    }
    if (!isReply(frame)) {
      this.tally.events += 1;
      return;
    }
    this.tally.replies += 1;
    const match = ids.map((id) => this.pending.get(id)).find((p) => p !== undefined) ?? this.order.find((p) => p.anonymous);
    if (match && errorsIn(frame).length === 0) bump(this.tally.successes, match.label);
    if (match) this.settle(match);
  }

  private settle(p: Pending): void {
    clearTimeout(p.timer);
    for (const id of p.ids) if (this.pending.get(id) === p) this.pending.delete(id);
    const i = this.order.indexOf(p);
    if (i >= 0) this.order.splice(i, 1);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once fewer than `window` requests are outstanding. */
  async slot(window: number): Promise<void> {
    while (this.order.length >= window) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Resolves once nothing is outstanding. */
  drain(): Promise<void> {
    return this.slot(1);
  }

  send(packet: FuzzPacket): void {
    if (!this.isOpen) return;
    const timer = setTimeout(
      () => {
        if (packet.anonymous && !packet.maySilent) this.tally.unmatchedAnonymous += 1;
        else if (!packet.maySilent) {
          bump(this.tally.noReply, packet.label);
          if (this.tally.noReplySamples.length < 10) this.tally.noReplySamples.push(`${this.name} after ${this.seq}: ${p.sample}`);
        }
        this.settle(p);
      },
      packet.maySilent ? SILENT_RELEASE_MS : REPLY_TIMEOUT_MS,
    );
    const p: Pending = { label: packet.label, ids: packet.ids, anonymous: packet.anonymous, timer, sample: typeof packet.data === 'string' ? packet.data.slice(0, 300) : `<${packet.data.length} binary bytes>` };
    for (const id of packet.ids) this.pending.set(id, p);
    this.order.push(p);
    this.ws.send(packet.data);
  }

  /** A well-formed request outside the fuzz stream (setup, re-login); resolves with `response`. */
  request(name: string, body: Record<string, unknown>): Promise<Frame> {
    const id = `ctl-${this.nextId()}`;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.control.delete(id);
        this.controlFailures.delete(id);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no reply within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.control.set(id, (f) => {
        done();
        resolve((f.response ?? f) as Frame);
      });
      this.controlFailures.set(id, (err) => {
        done();
        reject(err);
      });
      if (!this.isOpen) {
        done();
        reject(new SocketClosed(-1));
        return;
      }
      this.ws.send(JSON.stringify({ request: { [name]: body, id } }));
    });
  }

  close(): void {
    this.closing = true;
    this.ws.terminate();
  }
}

async function adminOrg(target: FuzzTarget, name: string): Promise<string> {
  const r = await fetch(`${target.httpUrl}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': target.adminKey }, body: JSON.stringify({ name }) });
  if (r.status !== 200) throw new Error(`organization create failed: ${r.status}`);
  return ((await r.json()) as { organization: { _id: string } }).organization._id;
}

function must(f: Frame, what: string): Frame {
  if (f.error !== undefined) throw new Error(`${what} failed: ${JSON.stringify(f.error)}`);
  return f;
}

/** Signs `sock` in as `creds`: with its token if still valid, else by password, else as a new user. */
async function signIn(sock: FuzzSocket, creds: Creds): Promise<void> {
  if (creds.token !== undefined && (await sock.request('connect', { token: creds.token, device_id: creds.deviceId })).success === true) return;
  let r = await sock.request('user_login', { organization_id: creds.orgId, login: creds.login, password: PASSWORD, device_id: creds.deviceId });
  if (r.token === undefined) {
    // Deleted, or its password changed by a fuzzed user_edit: carry on as a new user.
    creds.login = `${creds.login.split('r')[0] ?? 'fz'}r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
    must(await sock.request('user_create', { organization_id: creds.orgId, login: creds.login, password: PASSWORD, email: `${creds.login}@example.com` }), 'user_create');
    r = must(await sock.request('user_login', { organization_id: creds.orgId, login: creds.login, password: PASSWORD, device_id: creds.deviceId }), 'user_login');
  }
  creds.token = r.token as string;
}

/** Real ids for the generator: two organizations, users, a group conversation, a message. */
async function setup(target: FuzzTarget, seed: number, signedIn: number): Promise<{ pool: IdPool; creds: Creds[] }> {
  const tag = `fz${seed.toString(36)}${Date.now().toString(36)}`;
  const orgA = await adminOrg(target, `${tag}a`);
  const orgB = await adminOrg(target, `${tag}b`);
  const tally = new Tally();
  const sock = new FuzzSocket(target.wsUrl, tally, 'setup');
  await sock.open();
  try {
    const users: string[] = [];
    const creds: Creds[] = [];
    for (let i = 0; i <= signedIn; i++) {
      const login = `${tag}u${i}`;
      users.push((must(await sock.request('user_create', { organization_id: orgA, login, password: PASSWORD, email: `${login}@example.com` }), 'user_create').user as Frame)._id as string);
      if (i < signedIn) creds.push({ login, orgId: orgA, deviceId: `dev${i}`, token: undefined });
    }
    users.push((must(await sock.request('user_create', { organization_id: orgB, login: `${tag}x`, password: PASSWORD, email: `${tag}x@example.com` }), 'user_create').user as Frame)._id as string);
    must(await sock.request('user_login', { organization_id: orgA, login: `${tag}u${signedIn}`, password: PASSWORD, device_id: 'setup' }), 'login');
    const cid = (must(await sock.request('conversation_create', { type: 'g', name: 'fuzz', participants: users.slice(0, signedIn) }), 'conversation_create').conversation as Frame)._id as string;
    const mid = 'setup-m1';
    sock.send({ label: 'setup', data: JSON.stringify({ message: { id: mid, cid, body: 'hello' } }), ids: [mid], anonymous: true, maySilent: false, sessionChanging: false });
    await sock.drain();
    const list = must(await sock.request('message_list', { cid }), 'message_list');
    const messages = ((list.messages ?? []) as Frame[]).map((m) => m._id as string);
    return { pool: { organizations: [orgA, orgB], users, conversations: [cid], messages }, creds };
  } finally {
    sock.close();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs the fuzz; resolves with what it saw (assertions are the caller's). */
export async function runFuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const signedIn = opts.signedIn ?? 3;
  const anonymous = opts.anonymous ?? 2;
  const window = opts.window ?? 4;
  const handlers = [...HANDLERS.values()];
  const { pool, creds } = await setup(target, opts.seed, signedIn);
  const tally = new Tally();
  const root = new Rng(opts.seed);
  let sent = 0;
  let running = true;

  const latencies: number[] = [];
  const pinger = (async () => {
    const sock = new FuzzSocket(target.wsUrl, new Tally(), 'ping');
    await sock.open();
    while (running) {
      const t0 = performance.now();
      try {
        if (!sock.isOpen) await sock.open();
        const r = await sock.request('ping', {});
        if (r.pong === undefined) tally.violation(`ping answered ${JSON.stringify(r)}`);
      } catch (err) {
        // The pinger never signs in: the server closes it at WS_AUTH_TIMEOUT_MS (4003), as it
        // should; a slow run can have a ping in flight then. It is opened again next round.
        if (!(err instanceof SocketClosed && err.code === 4003)) tally.violation(`ping failed after ${sent} packets: ${String(err)}`);
      }
      latencies.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 50));
    }
    sock.close();
  })();

  // Only the first signed-in socket deletes its user: the others stay members of the setup
  // conversation, so their packets get past the membership checks.
  const withoutDelete = handlers.filter((h) => h.kind !== 'user_delete');
  const worker = async (index: number, own: Creds | undefined, quota: number): Promise<void> => {
    const rng = root.fork();
    const kinds = own && index > 0 ? withoutDelete : handlers;
    const sock = new FuzzSocket(target.wsUrl, tally, `s${index}`);
    // Signed in as `own` (or, anonymous, signed out) on an open socket; a socket the server
    // closes meanwhile is opened again and the step repeated.
    const settleSession = async (signOut: boolean): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        if (!sock.isOpen) await sock.open();
        try {
          if (own) await signIn(sock, own);
          else if (signOut) await sock.request('user_logout', {});
          return;
        } catch (err) {
          if (!(err instanceof SocketClosed) || attempt >= 3) throw err;
        }
      }
    };
    await sock.open();
    await settleSession(false);
    for (let i = 0; i < quota; i++) {
      await sock.slot(window);
      if (!sock.isOpen) await settleSession(false);
      const packet = nextPacket(rng, kinds, pool, () => sock.nextId());
      sock.send(packet);
      sent += 1;
      if (packet.sessionChanging) {
        await sock.drain();
        await settleSession(true);
      }
    }
    await sock.drain();
    sock.close();
  };

  const t0 = performance.now();
  const ticker = setInterval(() => {
    const secs = (performance.now() - t0) / 1000;
    opts.progress?.(`fuzz seed=${opts.seed}: ${sent}/${opts.packets} packets, ${Math.round(sent / secs)}/s, violations ${tally.violationCount}, max ping ${Math.round(Math.max(0, ...latencies))} ms`);
  }, 10_000);
  const sockets = signedIn + anonymous;
  try {
    await Promise.all(Array.from({ length: sockets }, (_, i) => worker(i, creds[i], Math.floor(opts.packets / sockets) + (i < opts.packets % sockets ? 1 : 0))));
  } finally {
    clearInterval(ticker);
    running = false;
    await pinger;
  }
  const elapsedMs = performance.now() - t0;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    seed: opts.seed,
    packets: sent,
    replies: tally.replies,
    events: tally.events,
    elapsedMs: Math.round(elapsedMs),
    packetsPerSec: Math.round(sent / (elapsedMs / 1000)),
    errorsByStatus: tally.errorsByStatus,
    successes: tally.successes,
    violationCount: tally.violationCount,
    violations: tally.violations,
    noReply: tally.noReply,
    unmatchedAnonymous: tally.unmatchedAnonymous,
    noReplySamples: tally.noReplySamples,
    closes: tally.closes,
    pings: { count: sorted.length, maxMs: Math.round(sorted[sorted.length - 1] ?? 0), p99Ms: Math.round(percentile(sorted, 99)) },
  };
}
