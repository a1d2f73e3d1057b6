import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { TestRedis } from '../../test/helpers/redis.js';
import { ServerStats } from '../domain/server-stats.js';
import { HOUR_MS, MINUTE_MS, MemoryStatsStore, type StatsStore } from '../domain/stats-store.js';
import { RedisStatsStore } from './redis-stats.js';

const T0 = Date.UTC(2025, 4, 16, 10, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The StatsStore contract, on a store from `open` (a fresh namespace per test). */
function statsContract(open: () => StatsStore): void {
  it('adds counts to the minute, hour and day buckets of each minute, and keeps the first start', async () => {
    const store = open();
    assert.deepEqual(await store.totals(T0, T0, T0), { minute: 0, hour: 0, day: 0, since: undefined });
    await store.record(new Map([[T0, 2], [T0 + MINUTE_MS, 3]]), T0 + 5000);
    await store.record(new Map([[T0 + MINUTE_MS, 1]]), T0 + 90_000);
    const day = T0 - 10 * HOUR_MS;
    assert.deepEqual(await store.totals(T0, T0, day), { minute: 2, hour: 6, day: 6, since: T0 + 5000 });
    assert.equal((await store.totals(T0 + MINUTE_MS, T0, day)).minute, 4);
    await store.record(new Map([[T0 + HOUR_MS, 7]]), T0 + HOUR_MS);
    assert.deepEqual(await store.totals(T0 + HOUR_MS, T0 + HOUR_MS, day), { minute: 7, hour: 7, day: 13, since: T0 + 5000 });
  });

  it('lists the nodes whose figures have not expired, and forgets a leaving one at once', async () => {
    const store = open();
    const now = Date.now();
    await store.publishNode({ nodeId: 'a', connections: 2, startedAt: 1 }, 300, now);
    await store.publishNode({ nodeId: 'b', connections: 5, startedAt: 2 }, 5000, now);
    await store.publishNode({ nodeId: 'c', connections: 1, startedAt: 3 }, 5000, now);
    assert.deepEqual((await store.nodes(now)).map((n) => n.nodeId).sort(), ['a', 'b', 'c']);
    await store.removeNode('c');
    await sleep(400);
    assert.deepEqual(await store.nodes(Date.now()), [{ nodeId: 'b', connections: 5, startedAt: 2 }]);
  });
}

describe('StatsStore in memory', () => {
  statsContract(() => new MemoryStatsStore());
});

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping Redis stats tests: ${skip}`);

describe('StatsStore in Redis', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  let client: Redis;
  let run = 0;
  before(async () => {
    redis = await TestRedis.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });
  statsContract(() => new RedisStatsStore(client, `t${String(++run)}:`));

  it('adds up the counts and figures of several nodes', async () => {
    const log = pino({ level: 'silent' });
    const started = Date.now() - 2 * HOUR_MS;
    const node = (id: string, connections: number) => new ServerStats(new RedisStatsStore(client, 'shared:'), { connections: () => connections, onlineUsers: () => 9 }, { nodeId: id, startedAt: started, flushMs: 1000, nodeTtlMs: 5000 }, log);
    const [a, b] = [node('a', 3), node('b', 4)];
    await client.set('shared:since', String(started));
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    a.handled('message', minute);
    a.handled('message_edit', minute);
    b.handled('system_message', minute);
    b.handled('ping', minute);
    await b.report(Date.now(), false);
    const r = await a.report(minute + MINUTE_MS, false);
    assert.equal(r.messages_per_minute, 3);
    assert.equal(r.connections, 7);
    assert.equal(r.nodes, 2);
    await b.close();
    assert.equal((await a.report(Date.now(), false)).nodes, 1, 'a node that left is not counted');
    await a.close();
  });
});
