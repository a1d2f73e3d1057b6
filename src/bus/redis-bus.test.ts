import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestRedis } from '../../test/helpers/redis.js';
import { busContract } from './contract/bus.contract.js';
import { RedisBus } from './redis-bus.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping Redis bus tests: ${skip}`);

describe('bus contract: redis', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(() => redis.stop());
  busContract(() => (ids) => Promise.all(ids.map((nodeId) => RedisBus.connect({ url: redis.url, nodeId }))));
});

describe('Redis bus through a Redis restart', { skip: skip ?? false }, () => {
  it('reports unhealthy and drops publications while Redis is down, then resubscribes by itself', async () => {
    let redis = await TestRedis.start();
    const a = await RedisBus.connect({ url: redis.url, nodeId: 'a' });
    const b = await RedisBus.connect({ url: redis.url, nodeId: 'b' });
    try {
      const got: string[] = [];
      await b.subscribe('node:b', (e) => got.push(e.payload));
      await a.publish('node:b', 'before');
      await waitFor(() => got.length === 1);
      await redis.stop();
      await waitFor(() => !a.healthy && !b.healthy);
      await a.publish('node:b', 'during');
      redis = await TestRedis.start(redis.port);
      await waitFor(() => a.healthy && b.healthy, 10_000);
      // The subscriber resubscribes on its reconnect; publish until one gets through.
      for (let i = 0; got.length < 2; i++) {
        await a.publish('node:b', `after-${String(i)}`);
        await new Promise((r) => setTimeout(r, 20));
        assert.ok(i < 250, 'no delivery within 5 s of Redis coming back');
      }
      assert.equal(got[0], 'before');
      assert.match(got[1] ?? '', /^after-/);
      assert.equal(got.includes('during'), false, 'nothing stale was queued');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });

  it('refuses to start when Redis cannot be reached', async () => {
    const redis = await TestRedis.start();
    const url = redis.url;
    await redis.stop();
    await assert.rejects(RedisBus.connect({ url, nodeId: 'x' }));
  });
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
