import type { Redis } from 'ioredis';
import { DAY_MS, HOUR_MS, MINUTE_MS, keys, type MessageTotals, type NodeFigures, type StatsStore } from '../domain/stats-store.js';

/**
 * The server-stats figures of a cluster in Redis, so every node's counts add up. Under the prefix
 * (default `parley:stats:`): a counter per minute, hour and day bucket (`m:`, `h:`, `d:` + start
 * ms; INCRBY, expiring two periods after their last write), `since` (SET NX: when counting
 * began), and per node a JSON record that expires unless republished (`node:<id>`, PX) listed in
 * the set `nodes` (entries whose record expired are removed when read). Expiries are relative:
 * the nodes' clocks only name buckets.
 */
export class RedisStatsStore implements StatsStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'parley:stats:',
  ) {}

  async record(counts: ReadonlyMap<number, number>, now: number): Promise<void> {
    const tx = this.redis.multi().set(`${this.prefix}since`, String(now), 'NX');
    for (const [minute, n] of counts) {
      const [m, h, d] = keys(minute).map((k) => this.prefix + k) as [string, string, string];
      tx.incrby(m, n).pexpire(m, 2 * MINUTE_MS).incrby(h, n).pexpire(h, 2 * HOUR_MS).incrby(d, n).pexpire(d, 2 * DAY_MS);
    }
    const results = await tx.exec();
    const failed = results?.find(([err]) => err !== null);
    if (failed) throw failed[0] ?? new Error('Redis transaction failed');
  }

  async totals(minuteStart: number, hourStart: number, dayStart: number): Promise<MessageTotals> {
    const [m, h, d, since] = await this.redis.mget(`${this.prefix}m:${String(minuteStart)}`, `${this.prefix}h:${String(hourStart)}`, `${this.prefix}d:${String(dayStart)}`, `${this.prefix}since`);
    return { minute: Number(m ?? 0), hour: Number(h ?? 0), day: Number(d ?? 0), since: since == null ? undefined : Number(since) };
  }

  async publishNode(figures: NodeFigures, ttlMs: number): Promise<void> {
    await this.redis.multi().set(`${this.prefix}node:${figures.nodeId}`, JSON.stringify(figures), 'PX', ttlMs).sadd(`${this.prefix}nodes`, figures.nodeId).exec();
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.redis.multi().del(`${this.prefix}node:${nodeId}`).srem(`${this.prefix}nodes`, nodeId).exec();
  }

  async nodes(): Promise<NodeFigures[]> {
    const ids = await this.redis.smembers(`${this.prefix}nodes`);
    if (ids.length === 0) return [];
    const records = await this.redis.mget(...ids.map((id) => `${this.prefix}node:${id}`));
    const out: NodeFigures[] = [];
    const gone: string[] = [];
    records.forEach((r, i) => {
      const id = ids[i] ?? '';
      if (r === null) gone.push(id);
      else out.push(JSON.parse(r) as NodeFigures);
    });
    if (gone.length > 0) await this.redis.srem(`${this.prefix}nodes`, ...gone);
    return out;
  }
}
