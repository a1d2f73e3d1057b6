import type { Redis } from 'ioredis';
import type { ThrottleStore } from '../domain/throttle-store.js';

/**
 * The login-throttle state of a cluster in Redis, so that every node counts the same failures.
 * Under the prefix (default `parley:throttle:`): a counter per key that expires with its window
 * (INCR, then PEXPIRE … NX so the window starts with the first failure), a guard slot per key (SET
 * NX PX) and, per login, a sorted set of known sources scored by when they stop being known.
 * Redis time is not used: expiries are relative, the `now` arguments only score known sources.
 */
export class RedisThrottleStore implements ThrottleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'parley:throttle:',
  ) {}

  async failures(key: string): Promise<number> {
    return Number((await this.redis.get(this.prefix + key)) ?? 0);
  }

  async fail(key: string, windowMs: number): Promise<void> {
    await this.redis.multi().incr(this.prefix + key).pexpire(this.prefix + key, windowMs, 'NX').exec();
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async takeSlot(key: string, intervalMs: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, '1', 'PX', intervalMs, 'NX')) === 'OK';
  }

  async remember(key: string, members: readonly string[], ttlMs: number, max: number, now: number): Promise<void> {
    const k = this.prefix + key;
    const tx = this.redis.multi().zremrangebyscore(k, '-inf', now);
    for (const m of members) tx.zadd(k, now + ttlMs, m);
    // Keep the `max` latest-expiring (= most recently successful) sources.
    await tx.zremrangebyrank(k, 0, -max - 1).pexpire(k, ttlMs).exec();
  }

  async knows(key: string, members: readonly string[], now: number): Promise<boolean> {
    if (members.length === 0) return false;
    const scores = await this.redis.zmscore(this.prefix + key, ...members);
    return scores.some((s) => s !== null && Number(s) > now);
  }
}
