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

  /** A refresh as sortable text: live nodes, then the changed entries. */
  const read = async (r: RedisRegistry) => {
    const { live, changed, removed, has } = await r.refresh();
    return { live: [...live], changed: changed.map((x) => `${x.nodeId}:${x.userId}/${x.deviceId}/${x.inactive ? 1 : 0}`).sort(), removed: removed.map((x) => `${x.nodeId}:${x.userId}/${x.deviceId}`).sort(), has };
  };

  it('refresh reads every other node whole once, then only what changed', async () => {
    const join = cluster(60_000);
    const [a, b, c] = await Promise.all([join('a'), join('b'), join('c')]);
    try {
      await a.register(s('self'), false);
      await b.register(s('u1'), false);
      await b.register(s('u2', 'x'), true);
      await c.register(s('u3'), false);
      const first = await read(a);
      assert.deepEqual(first.live, ['a', 'b', 'c']);
      assert.deepEqual(first.changed, ['b:u1/d/0', 'b:u2/x/1', 'c:u3/d/0']);
      assert.ok(first.has('b', 'o', 'u2', 'x') && !first.has('a', 'o', 'self', 'd'));
      // Nothing changed: nothing is read.
      assert.deepEqual((await read(a)).changed, []);
      // A change of flag, a new device, a removal, and writes that change nothing.
      await b.register(s('u1'), true);
      await b.register(s('u2', 'x'), true);
      await c.register(s('u4'), false);
      await c.unregister(s('u3'));
      await c.unregister(s('nobody'));
      // In and out again between two refreshes: neither a sign-in nor a sign-out here.
      await c.register(s('brief'), false);
      await c.unregister(s('brief'));
      const next = await read(a);
      assert.deepEqual(next.changed, ['b:u1/d/1', 'c:u4/d/0']);
      assert.deepEqual(next.removed, ['c:u3/d']);
      assert.ok(!next.has('c', 'o', 'u3', 'd') && next.has('c', 'o', 'u4', 'd') && next.has('b', 'o', 'u1', 'd'));
      // The copy agrees with a whole read.
      const whole = (await a.snapshot()).filter((x) => x.nodeId !== 'a').map((x) => `${x.nodeId}:${x.userId}/${x.deviceId}`).sort();
      assert.deepEqual(whole, ['b:u1/d', 'b:u2/x', 'c:u4/d']);
      assert.ok(whole.every((w) => next.has(w.slice(0, 1), 'o', w.slice(2).split('/')[0] as string, w.split('/')[1] as string)));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('refresh reads a node whole again when its log no longer reaches back, when it republished, and when it restarted', async () => {
    const keyPrefix = `t${String(++run)}:`;
    const join = (nodeId: string) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs: 60_000, keyPrefix, logLength: 3 });
    const [a, b] = await Promise.all([join('a'), join('b')]);
    let b2: RedisRegistry | undefined;
    try {
      await b.register(s('u1'), false);
      await read(a);
      // Five changes against a log of three: the first two are gone, so b is read whole.
      for (const u of ['u2', 'u3', 'u4', 'u5']) await b.register(s(u), false);
      await b.unregister(s('u1'));
      const behind = await read(a);
      assert.deepEqual(behind.changed, ['b:u2/d/0', 'b:u3/d/0', 'b:u4/d/0', 'b:u5/d/0']);
      assert.ok(!behind.has('b', 'o', 'u1', 'd'));
      // Within the log: only the change.
      await b.unregister(s('u2'));
      const within = await read(a);
      assert.deepEqual(within.changed, []);
      assert.ok(!within.has('b', 'o', 'u2', 'd') && within.has('b', 'o', 'u3', 'd'));
      // Republish (the registry had lost b): a new epoch, read whole.
      await b.republish([{ session: s('u9'), inactive: true }]);
      const again = await read(a);
      assert.deepEqual(again.changed, ['b:u9/d/1']);
      assert.ok(!again.has('b', 'o', 'u3', 'd'));
      // b crashes and restarts under the same id: none of its old sockets, read whole (empty).
      (b as unknown as { heartbeat: NodeJS.Timeout }).heartbeat.close();
      (b as unknown as { redis: { disconnect(): void } }).redis.disconnect();
      b2 = await join('b');
      const restarted = await read(a);
      assert.deepEqual(restarted.changed, []);
      assert.ok(!restarted.has('b', 'o', 'u9', 'd'));
      await b2.register(s('u10'), false);
      assert.deepEqual((await read(a)).changed, ['b:u10/d/0']);
    } finally {
      await Promise.all([a.close(), b2?.close()]);
    }
  });

  it('refresh forgets a node that left or died, and reads it whole if it comes back', async () => {
    const join = cluster(300);
    const [a, b] = await Promise.all([join('a'), join('b')]);
    let b2: RedisRegistry | undefined;
    try {
      await b.register(s('u1'), false);
      assert.deepEqual((await read(a)).changed, ['b:u1/d/0']);
      await b.close();
      const gone = await read(a);
      assert.deepEqual(gone.live, ['a']);
      assert.ok(!gone.has('b', 'o', 'u1', 'd'));
      b2 = await join('b');
      await b2.register(s('u1'), false);
      assert.deepEqual((await read(a)).changed, ['b:u1/d/0']);
      // Killed: its heartbeat stops; once its ttl passes it is no longer live, then reaped with its log.
      (b2 as unknown as { heartbeat: NodeJS.Timeout }).heartbeat.close();
      const start = Date.now();
      while ((await read(a)).live.includes('b')) {
        assert.ok(Date.now() - start < 2000, 'b still live after 2 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await a.reapDead()).length, 1);
      const probe = redis.client();
      try {
        assert.deepEqual(await probe.keys(`${(a as unknown as { prefix: string }).prefix}*:b`), []);
      } finally {
        probe.disconnect();
      }
    } finally {
      await a.close();
      await b2?.close();
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
