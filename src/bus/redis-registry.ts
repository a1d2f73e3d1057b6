import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Session } from '../domain/session.js';
import type { RegisteredSession, RegistryRefresh, SessionRegistry } from './registry.js';
import { HEARTBEAT, READ, REAP, RESET, SNAPSHOT, TAIL, WRITE } from './redis-registry-scripts.js';

export interface RedisRegistryOptions {
  readonly url: string;
  readonly nodeId: string;
  /** A node is dead once this long has passed since its last heartbeat, ms. */
  readonly ttlMs: number;
  /** Prefix of every key, so several clusters can share one Redis. */
  readonly keyPrefix?: string;
  /** Called when the registry had lost this node (Redis restarted, or the node was reaped after a
   *  partition): the caller answers with `republish` of its sessions. */
  readonly onLost?: () => void;
  readonly onError?: (err: Error) => void;
  /** Changes each node's log keeps for `refresh` (default 8192); a reader further behind reads the node whole. */
  readonly logLength?: number;
  /**
   * Entries asked for per HSCAN call when `refresh` reads a node whole (default 1000). Each call
   * is its own round trip, so Redis is held for one chunk at a time (about 1 ms per thousand on
   * a 2-core VM) rather than for the whole hash, and this process gets turns between chunks.
   */
  readonly scanCount?: number;
  /** Awaited between two chunks of a whole read (tests use it to write while a read is under way). */
  readonly betweenChunks?: (nodeId: string) => Promise<void>;
}

/**
 * Tries at reading one node whole within one `refresh`. A try fails only when the node's epoch
 * changed (it restarted or republished) or more than its log keeps was written during the scan;
 * three in a row mean the node is rewriting itself faster than it can be read, and it is left
 * for the next refresh.
 */
const WHOLE_READ_TRIES = 3;

/**
 * How long a key of a reap or a rewrite under way (see REAP, RESET) outlives a process that died
 * before finishing with it, ms: long enough for any read or write, short enough not to keep a
 * dead process's leftovers.
 */
const LEFTOVER_TTL_MS = 10 * 60_000;

/** Entries per HSET when a node writes its entries again (`rewrite`). */
const REWRITE_CHUNK = 1000;

/** A device's field in a node's hash: `org\tuser\tdevice`. */
const fieldOf = (orgId: string, userId: string, deviceId: string): string => `${orgId}\t${userId}\t${deviceId}`;
const field = (s: Session): string => fieldOf(s.orgId, s.userId, s.deviceId);

/** A session from a hash field (`org\tuser\tdevice`) and its flag. */
function sessionOf(nodeId: string, f: string, flag: string): RegisteredSession {
  const [orgId = '', userId = '', deviceId = ''] = f.split('\t');
  return { nodeId, orgId, userId, deviceId, inactive: flag === '1' };
}

/** A change-log entry "seq\tflag\tfield" (the field holds tabs of its own) as its field and flag. */
function logEntry(entry: string): { f: string; flag: string } {
  const a = entry.indexOf('\t');
  const b = entry.indexOf('\t', a + 1);
  return { flag: entry.slice(a + 1, b), f: entry.slice(b + 1) };
}

/** This registry's copy of another node's entries, as of `seq` of its `epoch`. */
interface NodeCopy {
  epoch: string;
  seq: number;
  /** field → flag. */
  entries: Map<string, string>;
}

/** Applies change-log entries, in order, to a copy's entries (field → flag). */
function apply(entries: Map<string, string>, log: readonly string[]): void {
  for (const entry of log) {
    const { f, flag } = logEntry(entry);
    if (flag === '-') entries.delete(f);
    else entries.set(f, flag);
  }
}

/** Reads node id, field, flag triples back into sessions. */
function triples(flat: string[]): RegisteredSession[] {
  const sessions: RegisteredSession[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) sessions.push(sessionOf(flat[i] as string, flat[i + 1] as string, flat[i + 2] as string));
  return sessions;
}

/**
 * The session registry in Redis. Layout under the prefix (default `parley:reg:`): `nodes`, the set
 * of registered node ids; `alive:<node>`, a key that expires `ttlMs` after the node's last
 * heartbeat (sent every third of it); `sessions:<node>`, a hash of `org\tuser\tdevice` → "1" when
 * the device is backgrounded, else "0". Each node writes only its own hash.
 *
 * So that other nodes need not read every hash at every reconcile (100,000 devices at 2 s would be
 * 50,000 entries a second per node), every change of a hash is numbered (`seq:<node>`) and kept
 * on a bounded log (`log:<node>`); `refresh` reads only the log entries after its cursor. A
 * rewrite of the hash (the node starting, or republishing after Redis lost it) sets a new
 * `epoch:<node>`, which makes readers read the hash whole once. A whole read goes in HSCAN
 * chunks, one round trip each, and is then brought up to date from the log (`readWhole`): one
 * script reading five nodes' 83,000 entries held Redis, and with it every node's bus, for
 * 90-140 ms (docs/benchmarks.md, "The registry at 100,000 devices"). The copy `refresh` keeps
 * is state owned by this port: it is rebuilt from Redis by a whole read whenever in doubt.
 */
export class RedisRegistry implements SessionRegistry {
  readonly nodeId: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set after the first heartbeat, which adds a new node to the set without anything being lost. */
  private started = false;
  private readonly logLength: number;
  private readonly scanCount: number;
  /**
   * The calls under way that must not overlap (`refresh`, `reapDead`; see `alone`). State owned
   * by this port, empty whenever no such call runs.
   */
  private readonly running = new Set<'refresh' | 'reapDead'>();
  /**
   * Dead nodes this registry claimed whose hashes it has not read yet: renamed key → node id.
   * State owned by this port, and only ever a retry list: a read that failed stays here and is
   * tried again by the next `reapDead` (Redis expires the key after LEFTOVER_TTL_MS regardless).
   */
  private readonly reaping = new Map<string, string>();
  /**
   * Settles (never rejects) when the last `rewrite` called has ended: this node's own writes
   * called after a rewrite wait for it (see `rewrite`).
   */
  private rewritten: Promise<void> = Promise.resolve();
  /** Other live nodes' entries as of the last refresh. */
  private readonly copies = new Map<string, NodeCopy>();
  /** This node's own keys: its hash, its change log, its change counter and its epoch. */
  private readonly own: readonly [sessions: string, log: string, seq: string, epoch: string];

  private constructor(private readonly opts: RedisRegistryOptions) {
    this.nodeId = opts.nodeId;
    this.prefix = opts.keyPrefix ?? 'parley:reg:';
    this.logLength = opts.logLength ?? 8192;
    this.scanCount = opts.scanCount ?? 1000;
    if (!(this.scanCount >= 1)) throw new Error('RedisRegistry: scanCount must be at least 1');
    const n = opts.nodeId;
    this.own = [this.key(`sessions:${n}`), this.key(`log:${n}`), this.key(`seq:${n}`), this.key(`epoch:${n}`)];
    this.redis = new Redis(opts.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 1000) });
    this.redis.on('error', (err: Error) => opts.onError?.(err));
  }

  /** Connects, announces this node alive and starts its heartbeat. */
  static async connect(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const r = new RedisRegistry(opts);
    await r.redis.connect();
    // A node that restarts under the same NODE_ID has none of its old sockets.
    await r.rewrite([]);
    await r.beat();
    r.heartbeat = setInterval(() => void r.beat().catch((err: unknown) => opts.onError?.(err as Error)), Math.max(10, Math.floor(opts.ttlMs / 3)));
    r.heartbeat.unref();
    return r;
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private async beat(): Promise<void> {
    const added = (await this.redis.eval(HEARTBEAT, 2, this.key('nodes'), this.key(`alive:${this.nodeId}`), this.nodeId, String(this.opts.ttlMs))) as number;
    // The first beat of a new node adds it too; only a later one means the registry lost us.
    if (added === 1 && this.started) this.opts.onLost?.();
    this.started = true;
  }

  async register(session: Session, inactive: boolean): Promise<void> {
    await this.write(field(session), inactive ? '1' : '0');
  }

  async unregister(session: Session): Promise<void> {
    await this.write(field(session), '-');
  }

  private async write(f: string, flag: string): Promise<void> {
    await this.rewritten;
    const [sessions, log, seq] = this.own;
    await this.redis.eval(WRITE, 3, sessions, log, seq, f, flag, String(this.logLength));
  }

  /**
   * Replaces this node's entries with `entries` (field, flag pairs) under a new epoch: writes
   * them to a key of their own in chunks of REWRITE_CHUNK, one round trip each, then moves that
   * key into place in one short script (RESET). The key expires should this process die first.
   *
   * Ordering, as when the rewrite was one command on this connection: a write of this node
   * called before the rewrite goes to Redis before it (and `entries`, taken after, include it);
   * one called after waits until the rewrite has ended, then goes on top of the new entries and
   * on the new epoch's log. Applied to the old hash meanwhile, the move would undo it. Both wait
   * on `rewritten` in call order, so their turns come in call order.
   */
  private rewrite(entries: string[]): Promise<void> {
    const before = this.rewritten;
    const run = (async () => {
      await before;
      const next = this.key(`rewriting:${this.nodeId}:${randomUUID()}`);
      for (let i = 0; i < entries.length; i += 2 * REWRITE_CHUNK) {
        const tx = this.redis.multi().hset(next, ...entries.slice(i, i + 2 * REWRITE_CHUNK));
        if (i === 0) tx.pexpire(next, LEFTOVER_TTL_MS);
        const res = await tx.exec();
        const failed = res?.find(([err]) => err)?.[0];
        if (!res || failed) throw failed ?? new Error('the registry rewrite was discarded');
      }
      await this.redis.eval(RESET, 5, ...this.own, next, randomUUID());
    })();
    this.rewritten = run.catch(() => undefined);
    return run;
  }

  /**
   * Every session on every live node, read whole. Not part of the port (a reconcile uses
   * `refresh`): tests check the registry's state with it, and the registry bench compares it.
   */
  async snapshot(): Promise<RegisteredSession[]> {
    const flat = (await this.redis.eval(SNAPSHOT, 1, this.key('nodes'), this.prefix)) as string[];
    return triples(flat);
  }

  async refresh(): Promise<RegistryRefresh> {
    // A refresh reads across several round trips and edits the copies as it goes; a second one
    // meanwhile would read from cursors the first is about to move.
    return this.alone('refresh', () => this.readChanges());
  }

  /** Runs `work` as the one call of `name` under way; rejects while another one runs. */
  private async alone<T>(name: 'refresh' | 'reapDead', work: () => Promise<T>): Promise<T> {
    if (this.running.has(name)) throw new Error(`RedisRegistry.${name} called while the previous one is still running`);
    this.running.add(name);
    try {
      return await work();
    } finally {
      this.running.delete(name);
    }
  }

  private async readChanges(): Promise<RegistryRefresh> {
    const cursors = [...this.copies].flatMap(([node, c]) => [node, c.epoch, String(c.seq)]);
    const flat = (await this.redis.eval(READ, 1, this.key('nodes'), this.prefix, this.nodeId, ...cursors)) as (string | number)[];
    const live: string[] = [];
    const changed: RegisteredSession[] = [];
    const removed: RegisteredSession[] = [];
    const wholeNodes: string[] = [];
    const unread: string[] = [];
    const toRead: { node: string; epoch: string; seq: number }[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < flat.length; ) {
      const node = String(flat[i]);
      const kind = String(flat[i + 1]);
      const epoch = String(flat[i + 2]);
      const seq = Number(flat[i + 3]);
      const count = Number(flat[i + 4]);
      const items = flat.slice(i + 5, i + 5 + count).map(String);
      i += 5 + count;
      live.push(node);
      if (kind === 'self') continue;
      seen.add(node);
      if (kind === 'full') {
        toRead.push({ node, epoch, seq });
        continue;
      }
      const copy = this.copies.get(node);
      // 'same' or 'delta': only ever answered to a cursor, which comes from a copy.
      if (!copy) continue;
      // Only each entry's net change counts: a device that signed in and out again since the
      // last refresh was never seen here and must not come back as a sign-in.
      const wasHeld = new Map<string, boolean>();
      for (const entry of items) {
        const { f } = logEntry(entry);
        if (!wasHeld.has(f)) wasHeld.set(f, copy.entries.has(f));
      }
      apply(copy.entries, items);
      for (const [f, held] of wasHeld) {
        const flag = copy.entries.get(f);
        if (flag !== undefined) changed.push(sessionOf(node, f, flag));
        else if (held) removed.push(sessionOf(node, f, '0'));
      }
      copy.seq = seq;
    }
    for (const node of [...this.copies.keys()]) if (!seen.has(node)) this.copies.delete(node);
    // Nodes to read whole, one after the other. The old copy of each stays in use (by `has`)
    // until its new one is complete.
    for (const { node, epoch, seq } of toRead) {
      const whole = await this.readWhole(node, epoch, seq);
      if (!whole) {
        this.copies.delete(node);
        unread.push(node);
        continue;
      }
      this.copies.set(node, whole.copy);
      wholeNodes.push(node);
      for (const session of whole.sessions) changed.push(session);
    }
    const copies = this.copies;
    return {
      live: live.sort(),
      changed,
      removed,
      wholeNodes,
      unread,
      has: (nodeId, orgId, userId, deviceId) => copies.get(nodeId)?.entries.has(fieldOf(orgId, userId, deviceId)) ?? false,
    };
  }

  /**
   * Reads a node's entries whole, in chunks, without holding Redis for more than one chunk, and
   * returns them exact as of the end of the read — or undefined if it cannot (see
   * WHOLE_READ_TRIES; or the node has no epoch: Redis lost its keys and it has not written them
   * back yet, so nothing read from it can be checked).
   *
   * Why the result is exact although the node writes meanwhile: `seq` (of `epoch`) was taken
   * before the scan began, and every later write is numbered above it and logged. HSCAN returns
   * every entry that stays in the hash from its first call to its last, with its one value; an
   * entry written during the scan may come back with an old value, twice, or not at all. Each
   * such entry is on the log after `seq`, and the log's entries set or delete, so applying them
   * in order after the scan leaves each entry as its last write made it. That holds while the
   * epoch is the same (a rewrite replaces the hash and empties the log) and the log still
   * reaches back to `seq + 1`; TAIL checks both, and answers the epoch and seq to try again from.
   */
  private async readWhole(node: string, epoch: string, seq: number): Promise<{ copy: NodeCopy; sessions: Iterable<RegisteredSession> } | undefined> {
    const keys = [this.key(`epoch:${node}`), this.key(`seq:${node}`), this.key(`log:${node}`)];
    // Without an epoch no try can succeed (TAIL answers 'full'): not worth a scan.
    for (let tries = 0; tries < WHOLE_READ_TRIES && epoch !== ''; tries++) {
      const entries = new Map<string, string>();
      const sessions = new Map<string, RegisteredSession>();
      await this.scan(this.key(`sessions:${node}`), node, (f, flag) => {
        entries.set(f, flag);
        sessions.set(f, sessionOf(node, f, flag));
      });
      const [kind = 'full', nowEpoch = '', nowSeq = '0', ...items] = (await this.redis.eval(TAIL, 3, ...keys, epoch, String(seq))) as string[];
      if (kind !== 'full') {
        for (const item of items) {
          const { f, flag } = logEntry(item);
          if (flag === '-') {
            entries.delete(f);
            sessions.delete(f);
          } else {
            entries.set(f, flag);
            sessions.set(f, sessionOf(node, f, flag));
          }
        }
        return { copy: { epoch, seq: Number(nowSeq), entries }, sessions: sessions.values() };
      }
      epoch = nowEpoch;
      seq = Number(nowSeq);
    }
    return undefined;
  }

  /**
   * A node's hash (`key`: its own, or its claimed copy once it died), HSCAN chunk by chunk (see
   * `readWhole` for what that is worth while the node writes): `each` gets every field and flag
   * as its chunk arrives, so what the caller builds is built chunk by chunk too (16,000 sessions
   * made in one go took 20-30 ms).
   */
  private async scan(key: string, node: string, each: (f: string, flag: string) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', this.scanCount);
      for (let k = 0; k + 1 < flat.length; k += 2) each(flat[k] as string, flat[k + 1] as string);
      cursor = next;
      if (cursor !== '0' && this.opts.betweenChunks) await this.opts.betweenChunks(node);
    } while (cursor !== '0');
  }

  /** Ids of the nodes whose heartbeat is current (tests and the registry bench; see `snapshot`). */
  async liveNodes(): Promise<string[]> {
    const nodes = await this.redis.smembers(this.key('nodes'));
    const tx = this.redis.multi();
    for (const n of nodes) tx.exists(this.key(`alive:${n}`));
    const res = (await tx.exec()) ?? [];
    return nodes.filter((_, i) => res[i]?.[1] === 1).sort();
  }

  /**
   * Claims the dead nodes in one script, then reads each one's hash in HSCAN chunks (see REAP),
   * so Redis is never held for a whole hash. A node whose hash could not be read (Redis away)
   * stays claimed by this registry and comes back from a later call, with its sessions; the
   * error of the claim itself rejects. A hash read is reported once even if deleting it fails
   * (it expires). Calls must not overlap (it rejects otherwise), as for `refresh`.
   */
  reapDead(): Promise<{ nodeId: string; sessions: RegisteredSession[] }[]> {
    // Two at once would both read, and report, a hash this registry claimed.
    return this.alone('reapDead', async () => {
      const flat = (await this.redis.eval(REAP, 1, this.key('nodes'), this.prefix, randomUUID(), String(LEFTOVER_TTL_MS))) as string[];
      const reaped: { nodeId: string; sessions: RegisteredSession[] }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const nodeId = flat[i] as string;
        const key = flat[i + 1] as string;
        if (key === '') reaped.push({ nodeId, sessions: [] });
        else this.reaping.set(key, nodeId);
      }
      for (const [key, nodeId] of [...this.reaping]) {
        // A field can come back twice from HSCAN: keyed by field, each is reported once.
        const sessions = new Map<string, RegisteredSession>();
        try {
          await this.scan(key, nodeId, (f, flag) => sessions.set(f, sessionOf(nodeId, f, flag)));
        } catch (err) {
          this.opts.onError?.(err as Error);
          continue;
        }
        this.reaping.delete(key);
        reaped.push({ nodeId, sessions: [...sessions.values()] });
        await this.redis.unlink(key).catch((err: unknown) => this.opts.onError?.(err as Error));
      }
      return reaped;
    });
  }

  async republish(sessions: readonly { session: Session; inactive: boolean }[]): Promise<void> {
    await this.rewrite(sessions.flatMap(({ session, inactive }) => [field(session), inactive ? '1' : '0']));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    try {
      await this.redis.multi().del(...this.own, this.key(`alive:${this.nodeId}`)).srem(this.key('nodes'), this.nodeId).exec();
    } finally {
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }
}
