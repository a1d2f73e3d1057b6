import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestRedis } from '../../test/helpers/redis.js';
import { RedisRegistry } from './redis-registry.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping Redis registry tests: ${skip}`);

let run = 0;

describe('session registry on Redis', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(() => redis.stop());

  /** Registries of one fresh cluster (own key prefix) on the shared server. */
  const cluster = (ttlMs = 1000) => {
    const keyPrefix = `t${String(++run)}:`;
    return (nodeId: string, onLost?: () => void) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs, keyPrefix, onLost });
  };
  const s = (userId: string, deviceId = 'd', orgId = 'o') => ({ orgId, userId, deviceId });

  it('shows every live node\'s sessions, with their background flag, and forgets unregistered ones', async () => {
    const join = cluster();
    const [a, b] = await Promise.all([join('a'), join('b')]);
    try {
      await a.register(s('u1'), false);
      await a.register(s('u1', 'tablet'), true);
      await b.register(s('u2', 'phone', 'other-org'), false);
      await b.register(s('u2', 'phone', 'other-org'), true);
      const all = (await b.snapshot()).sort((x, y) => (x.userId + x.deviceId).localeCompare(y.userId + y.deviceId));
      assert.deepEqual(all, [
        { nodeId: 'a', orgId: 'o', userId: 'u1', deviceId: 'd', inactive: false },
        { nodeId: 'a', orgId: 'o', userId: 'u1', deviceId: 'tablet', inactive: true },
        { nodeId: 'b', orgId: 'other-org', userId: 'u2', deviceId: 'phone', inactive: true },
      ]);
      assert.deepEqual(await a.liveNodes(), ['a', 'b']);
      await a.unregister(s('u1', 'tablet'));
      await a.unregister(s('nobody'));
      assert.deepEqual((await a.snapshot()).map((x) => `${x.userId}/${x.deviceId}`).sort(), ['u1/d', 'u2/phone']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a node that stops beating is dead after its ttl, hidden from snapshots, and reaped exactly once', async () => {
    const join = cluster(300);
    const a = await join('a');
    const b = await join('b');
    const c = await join('c');
    await b.register(s('u1'), false);
    await b.register(s('u2', 'x'), true);
    // Kill b without a clean close: its heartbeat stops, its entries stay until reaped.
    (b as unknown as { heartbeat: NodeJS.Timeout }).heartbeat.close();
    try {
      const start = Date.now();
      while ((await a.liveNodes()).includes('b')) {
        assert.ok(Date.now() - start < 2000, 'b still alive after 2 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(Date.now() - start >= 150, 'not declared dead before its ttl');
      assert.deepEqual(await a.snapshot(), []);
      const [fromA, fromC] = await Promise.all([a.reapDead(), c.reapDead()]);
      const reaped = [...fromA, ...fromC];
      assert.equal(reaped.length, 1, JSON.stringify(reaped));
      assert.equal(reaped[0]?.nodeId, 'b');
      assert.deepEqual(reaped[0]?.sessions.map((x) => `${x.userId}/${x.deviceId}/${String(x.inactive)}`).sort(), ['u1/d/false', 'u2/x/true']);
      assert.deepEqual(await a.reapDead(), []);
    } finally {
      await Promise.all([a.close(), c.close()]);
      await b.close();
    }
  });

  it('a clean close removes the node at once', async () => {
    const join = cluster(60_000);
    const [a, b] = await Promise.all([join('a'), join('b')]);
    await b.register(s('u1'), false);
    await b.close();
    assert.deepEqual(await a.liveNodes(), ['a']);
    assert.deepEqual(await a.snapshot(), []);
    assert.deepEqual(await a.reapDead(), []);
    await a.close();
  });

  it('tells a node the registry lost it after a Redis restart, and republish restores its sessions', async () => {
    const own = await TestRedis.start();
    let lost = 0;
    const a = await RedisRegistry.connect({ url: own.url, nodeId: 'a', ttlMs: 300, onLost: () => (lost += 1) });
    let server = own;
    try {
      await a.register(s('u1'), false);
      server = await own.restart();
      const start = Date.now();
      while (lost === 0) {
        assert.ok(Date.now() - start < 5000, 'not told within 5 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(await a.snapshot(), []);
      await a.republish([{ session: s('u1'), inactive: false }, { session: s('u2'), inactive: true }]);
      assert.deepEqual((await a.snapshot()).map((x) => `${x.userId}/${String(x.inactive)}`).sort(), ['u1/false', 'u2/true']);
    } finally {
      await a.close();
      await server.stop();
    }
  });
});
