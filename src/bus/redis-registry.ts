import { Redis } from 'ioredis';
import type { Session } from '../domain/session.js';
import type { RegisteredSession, SessionRegistry } from './registry.js';

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
}

/**
 * Heartbeat: refreshes this node's alive key and its membership of the node set. Returns 1 when
 * the node was not a member — the registry lost it (a Redis restart, or it was reaped as dead).
 * KEYS: nodes set, alive key. ARGV: node id, ttl ms.
 */
const HEARTBEAT = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[1], ARGV[1])
`;

/**
 * Every session of every live node, as node id, field, flag triples.
 * KEYS: nodes set. ARGV: key prefix.
 */
const SNAPSHOT = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 1 then
    local h = redis.call('HGETALL', ARGV[1] .. 'sessions:' .. node)
    for i = 1, #h, 2 do
      table.insert(out, node)
      table.insert(out, h[i])
      table.insert(out, h[i + 1])
    end
  end
end
return out
`;

/**
 * Removes every node whose alive key has expired, with its sessions, and returns them as node
 * id, field, flag triples, plus a lone node id (followed by two empty strings) for a dead node
 * without sessions. Atomic, so a dead node is reaped by exactly one caller.
 * KEYS: nodes set. ARGV: key prefix.
 */
const REAP = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 0 then
    local key = ARGV[1] .. 'sessions:' .. node
    local h = redis.call('HGETALL', key)
    table.insert(out, node)
    table.insert(out, '')
    table.insert(out, '')
    for i = 1, #h, 2 do
      table.insert(out, node)
      table.insert(out, h[i])
      table.insert(out, h[i + 1])
    end
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], node)
  end
end
return out
`;

const field = (s: Session): string => `${s.orgId}\t${s.userId}\t${s.deviceId}`;

/** Reads node id, field, flag triples back into sessions (and the nodes named). */
function triples(flat: string[]): { nodes: string[]; sessions: RegisteredSession[] } {
  const nodes: string[] = [];
  const sessions: RegisteredSession[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const nodeId = flat[i] as string;
    const f = flat[i + 1] as string;
    if (f === '') {
      nodes.push(nodeId);
      continue;
    }
    const [orgId = '', userId = '', deviceId = ''] = f.split('\t');
    sessions.push({ nodeId, orgId, userId, deviceId, inactive: flat[i + 2] === '1' });
  }
  return { nodes, sessions };
}

/**
 * The session registry in Redis. Layout under the prefix (default `parley:reg:`): `nodes`, the set
 * of registered node ids; `alive:<node>`, a key that expires `ttlMs` after the node's last
 * heartbeat (sent every third of it); `sessions:<node>`, a hash of `org\tuser\tdevice` → "1" when
 * the device is backgrounded, else "0". Each node writes only its own hash.
 */
export class RedisRegistry implements SessionRegistry {
  readonly nodeId: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set after the first heartbeat, which adds a new node to the set without anything being lost. */
  private started = false;

  private constructor(private readonly opts: RedisRegistryOptions) {
    this.nodeId = opts.nodeId;
    this.prefix = opts.keyPrefix ?? 'parley:reg:';
    this.redis = new Redis(opts.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 1000) });
    this.redis.on('error', (err: Error) => opts.onError?.(err));
  }

  /** Connects, announces this node alive and starts its heartbeat. */
  static async connect(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const r = new RedisRegistry(opts);
    await r.redis.connect();
    // A node that restarts under the same NODE_ID has none of its old sockets.
    await r.redis.del(r.key(`sessions:${opts.nodeId}`));
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
    await this.redis.hset(this.key(`sessions:${this.nodeId}`), field(session), inactive ? '1' : '0');
  }

  async unregister(session: Session): Promise<void> {
    await this.redis.hdel(this.key(`sessions:${this.nodeId}`), field(session));
  }

  async snapshot(): Promise<RegisteredSession[]> {
    const flat = (await this.redis.eval(SNAPSHOT, 1, this.key('nodes'), this.prefix)) as string[];
    return triples(flat).sessions;
  }

  async liveNodes(): Promise<string[]> {
    const nodes = await this.redis.smembers(this.key('nodes'));
    const tx = this.redis.multi();
    for (const n of nodes) tx.exists(this.key(`alive:${n}`));
    const res = (await tx.exec()) ?? [];
    return nodes.filter((_, i) => res[i]?.[1] === 1).sort();
  }

  async reapDead(): Promise<{ nodeId: string; sessions: RegisteredSession[] }[]> {
    const flat = (await this.redis.eval(REAP, 1, this.key('nodes'), this.prefix)) as string[];
    const { nodes, sessions } = triples(flat);
    return nodes.map((nodeId) => ({ nodeId, sessions: sessions.filter((s) => s.nodeId === nodeId) }));
  }

  async republish(sessions: readonly { session: Session; inactive: boolean }[]): Promise<void> {
    const key = this.key(`sessions:${this.nodeId}`);
    const tx = this.redis.multi().del(key);
    for (const { session, inactive } of sessions) tx.hset(key, field(session), inactive ? '1' : '0');
    await tx.exec();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    try {
      await this.redis.multi().del(this.key(`sessions:${this.nodeId}`)).del(this.key(`alive:${this.nodeId}`)).srem(this.key('nodes'), this.nodeId).exec();
    } finally {
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }
}
