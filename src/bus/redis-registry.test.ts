import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestRedis } from '../../test/helpers/redis.js';
import { RedisRegistry, type RedisRegistryOptions } from './redis-registry.js';

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
    return (nodeId: string, onLost?: () => void, more?: Partial<RedisRegistryOptions>) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs, keyPrefix, onLost, ...more });
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

  /** Stops a registry's heartbeat and removes its alive key: dead now, as if its ttl had passed. */
  const kill = async (r: RedisRegistry, probe: ReturnType<TestRedis['client']>): Promise<void> => {
    (r as unknown as { heartbeat: NodeJS.Timeout }).heartbeat.close();
    await probe.del(`${(r as unknown as { prefix: string }).prefix}alive:${r.nodeId}`);
  };

  it("reaps a dead node's entries in chunks, exactly once even while its read is under way, and leaves no key behind", async () => {
    const join = cluster(60_000);
    let during: (() => Promise<void>) | undefined;
    let chunks = 0;
    const a = await join('a', undefined, { scanCount: 100, betweenChunks: async () => void (++chunks, await during?.()) });
    const [b, c] = await Promise.all([join('b'), join('c')]);
    const probe = redis.client();
    try {
      const devices = 2_500;
      for (let i = 0; i < devices; i += 250) await Promise.all(Array.from({ length: 250 }, (_, k) => b.register(s(`u${String(i + k)}`), (i + k) % 7 === 0)));
      await kill(b, probe);
      const fromC: Awaited<ReturnType<RedisRegistry['reapDead']>>[] = [];
      // While a reads b's claimed entries, c reaps too: b is a's alone by then.
      during = async () => {
        during = undefined;
        fromC.push(await c.reapDead());
      };
      const fromA = await a.reapDead();
      assert.deepEqual(fromC, [[]]);
      assert.ok(chunks >= 10, `read in ${String(chunks)} chunks`);
      assert.equal(fromA.length, 1);
      assert.equal(fromA[0]?.nodeId, 'b');
      const got = fromA[0]?.sessions ?? [];
      assert.equal(got.length, devices);
      assert.equal(new Set(got.map((x) => x.userId)).size, devices);
      assert.equal(got.filter((x) => x.inactive).length, Math.ceil(devices / 7));
      assert.ok(got.every((x) => x.nodeId === 'b' && x.orgId === 'o' && x.deviceId === 'd'));
      assert.deepEqual(await a.reapDead(), []);
      const prefix = (a as unknown as { prefix: string }).prefix;
      assert.deepEqual((await probe.keys(`${prefix}*`)).filter((k) => k.includes('b')).sort(), []);
      assert.deepEqual(await probe.smembers(`${prefix}nodes`).then((n) => n.sort()), ['a', 'c']);
    } finally {
      probe.disconnect();
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('finishes a reap whose read failed at the next call, its claimed entries carrying an expiry meanwhile; refuses overlapping reaps', async () => {
    const join = cluster(60_000);
    let fail = true;
    const errors: string[] = [];
    const a = await join('a', undefined, {
      scanCount: 10,
      onError: (err) => errors.push(err.message),
      betweenChunks: () => (fail ? ((fail = false), Promise.reject(new Error('connection lost mid-read'))) : Promise.resolve()),
    });
    const b = await join('b');
    const probe = redis.client();
    try {
      // Over 512 entries: a smaller hash may be stored compact, and HSCAN then returns it whole at once.
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => b.register(s(`u${String(i)}`), false)));
      await kill(b, probe);
      const first = a.reapDead();
      await assert.rejects(a.reapDead(), /still running/);
      assert.deepEqual(await first, []);
      assert.deepEqual(errors, ['connection lost mid-read']);
      const prefix = (a as unknown as { prefix: string }).prefix;
      const [claimed, ...more] = await probe.keys(`${prefix}reaping:b:*`);
      assert.ok(claimed !== undefined && more.length === 0);
      const ttl = await probe.pttl(claimed);
      assert.ok(ttl > 60_000 && ttl <= 600_000, `expires in ${String(ttl)} ms`);
      const later = await a.reapDead();
      assert.deepEqual(later.map((r) => [r.nodeId, r.sessions.length]), [['b', 1_000]]);
      assert.deepEqual(await probe.keys(`${prefix}reaping:*`), []);
      assert.deepEqual(await a.reapDead(), []);
    } finally {
      probe.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('republishes a node in chunks; its writes called during the republish land on top, and the entries keep no expiry', async () => {
    const join = cluster(60_000);
    const [a, b] = await Promise.all([join('a'), join('b')]);
    const probe = redis.client();
    try {
      await b.register(s('old'), false);
      const entries = Array.from({ length: 2_500 }, (_, i) => ({ session: s(`u${String(i)}`), inactive: i % 3 === 0 }));
      // Called while the republish writes its chunks: they must not be undone when it lands.
      const republished = b.republish(entries);
      const during = [b.unregister(s('u1')), b.register(s('u2'), false), b.register(s('late'), true)];
      await Promise.all([republished, ...during]);
      const prefix = (b as unknown as { prefix: string }).prefix;
      const held = await probe.hgetall(`${prefix}sessions:b`);
      assert.equal(Object.keys(held).length, 2_500);
      assert.equal(held['o\tu1\td'], undefined);
      assert.equal(held['o\tu2\td'], '0');
      assert.equal(held['o\tlate\td'], '1');
      assert.equal(held['o\told\td'], undefined);
      assert.equal(held['o\tu3\td'], '1');
      assert.equal(await probe.pttl(`${prefix}sessions:b`), -1);
      assert.deepEqual(await probe.keys(`${prefix}rewriting:*`), []);
      // Another node reads the new epoch whole: exactly the entries above.
      const { changed } = await a.refresh();
      assert.equal(changed.length, 2_500);
      assert.ok(changed.some((x) => x.userId === 'late' && x.inactive));
      assert.ok(!changed.some((x) => x.userId === 'u1' || x.userId === 'old'));
    } finally {
      probe.disconnect();
      await Promise.all([a.close(), b.close()]);
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

  // Whole reads go in HSCAN chunks. A hash of up to 512 entries (hash-max-listpack-entries) is
  // stored compactly and HSCAN returns it in one call whatever the COUNT, so these nodes hold more.
  const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => s(`u${String(from + i)}`));
  const fill = async (r: RedisRegistry, devices: ReturnType<typeof s>[], inactive: (i: number) => boolean = () => false) => {
    await Promise.all(devices.map((d, i) => r.register(d, inactive(i))));
  };
  /** A whole read's view of one node: its entries as "user/flag", sorted. */
  const entriesOf = (changed: string[], node: string) => changed.filter((x) => x.startsWith(`${node}:`)).map((x) => x.slice(node.length + 1).replace('/d/', '/'));

  it('reads a node whole in several chunks, returning exactly its entries', async () => {
    let chunks = 0;
    const join = cluster(60_000);
    const [a, b] = await Promise.all([join('a', undefined, { scanCount: 50, betweenChunks: () => Promise.resolve(void (chunks += 1)) }), join('b')]);
    try {
      const devices = many(700);
      await fill(b, devices, (i) => i % 7 === 0);
      for (const d of devices.slice(0, 20)) await b.unregister(d);
      const first = await a.refresh();
      assert.ok(chunks >= 10, `read in ${chunks + 1} chunks`);
      assert.deepEqual(first.wholeNodes, ['b']);
      assert.deepEqual(first.unread, []);
      const expected = devices.slice(20).map((d, i) => `${d.userId}/${(i + 20) % 7 === 0 ? 1 : 0}`).sort();
      const got = first.changed.map((x) => `${x.userId}/${x.inactive ? 1 : 0}`).sort();
      assert.deepEqual(got, expected);
      assert.ok(first.has('b', 'o', 'u20', 'd') && !first.has('b', 'o', 'u19', 'd'));
      // The copy's cursor is current: nothing more to read.
      chunks = 0;
      const next = await a.refresh();
      assert.deepEqual([next.changed.length, next.removed.length, chunks], [0, 0, 0]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a whole read ends up right when the node signs devices in and out and changes flags during it', async () => {
    const join = cluster(60_000);
    let during: ((chunk: number) => Promise<void>) | undefined;
    let chunk = 0;
    const [a, b] = await Promise.all([join('a', undefined, { scanCount: 50, betweenChunks: async () => during?.(++chunk) }), join('b')]);
    try {
      await fill(b, many(600));
      // Between chunks, b changes entries the scan has already passed and entries it has not
      // reached yet (HSCAN's order is the hash's, so some of each): a sign-out of every tenth
      // device, a flag change of every tenth but one, new devices, and one in and out again.
      during = async (n) => {
        if (n > 5) return;
        for (let i = n; i < 600; i += 10) await b.unregister(s(`u${String(i)}`));
        for (let i = n + 5; i < 600; i += 10) await b.register(s(`u${String(i)}`), true);
        await b.register(s(`new${String(n)}`), n % 2 === 0);
        await b.register(s(`brief${String(n)}`), false);
        await b.unregister(s(`brief${String(n)}`));
      };
      const whole = await read(a);
      assert.ok(chunk > 5, `only ${chunk} chunks`);
      const truth = (await a.snapshot()).filter((x) => x.nodeId === 'b').map((x) => `${x.userId}/${x.inactive ? 1 : 0}`).sort();
      assert.equal(truth.length, 600 - 5 * 60 + 5);
      assert.deepEqual(entriesOf(whole.changed, 'b'), truth);
      assert.ok(!whole.has('b', 'o', 'u1', 'd') && whole.has('b', 'o', 'new1', 'd') && !whole.has('b', 'o', 'brief1', 'd'));
      // Later changes come as changes, from where the whole read left off.
      during = undefined;
      await b.unregister(s('u0'));
      await b.register(s('u9'), false);
      const next = await read(a);
      assert.deepEqual([next.changed, next.removed], [['b:u9/d/0'], ['b:u0/d']]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a node rewritten during a whole read, or writing more than its log keeps, is read whole again', async () => {
    const keyPrefix = `t${String(++run)}:`;
    let during: ((chunk: number) => Promise<void>) | undefined;
    let chunk = 0;
    const join = (nodeId: string, more?: Partial<RedisRegistryOptions>) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs: 60_000, keyPrefix, logLength: 5, ...more });
    const [a, b] = await Promise.all([join('a', { scanCount: 50, betweenChunks: async () => during?.(++chunk) }), join('b')]);
    try {
      await fill(b, many(600));
      // Republished (a new epoch) after the first chunk: the entries read before it are stale.
      during = async (n) => {
        if (n === 1) await b.republish(many(550, 1000).map((session) => ({ session, inactive: true })));
      };
      const rewritten = await read(a);
      assert.deepEqual(entriesOf(rewritten.changed, 'b'), many(550, 1000).map((d) => `${d.userId}/1`).sort());
      assert.ok(!rewritten.has('b', 'o', 'u0', 'd'));
      // Six writes during the scan against a log of five: the log no longer reaches back to
      // where the scan began, so the scan is not to be trusted. The six are sign-outs of devices
      // the first chunk returned (HSCAN from the same cursor returns the same chunk).
      await b.republish(many(600, 2000).map((session) => ({ session, inactive: false })));
      const probe = redis.client();
      const [, firstChunk] = await probe.hscan(`${keyPrefix}sessions:b`, '0', 'COUNT', 50);
      probe.disconnect();
      const signedOut = firstChunk.filter((_, i) => i % 2 === 0).slice(0, 6).map((f) => f.split('\t')[1] as string);
      assert.equal(signedOut.length, 6);
      chunk = 0;
      during = async (n) => {
        if (n === 1) for (const u of signedOut) await b.unregister(s(u));
      };
      const overrun = await read(a);
      assert.deepEqual(entriesOf(overrun.changed, 'b'), many(600, 2000).filter((d) => !signedOut.includes(d.userId)).map((d) => `${d.userId}/0`).sort());
      assert.ok(!overrun.has('b', 'o', signedOut[0] as string, 'd'));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a node rewritten at every try is left unread, and read whole by the next refresh', async () => {
    let during: (() => Promise<void>) | undefined;
    const join = cluster(60_000);
    const [a, b, c] = await Promise.all([join('a', undefined, { scanCount: 50, betweenChunks: async () => during?.() }), join('b'), join('c')]);
    try {
      await fill(b, many(600));
      await c.register(s('steady'), false);
      const first = await read(a);
      assert.equal(first.changed.length, 601);
      // b republishes whenever a is between two chunks of it: no try can finish.
      await b.republish(many(600).map((session) => ({ session, inactive: false })));
      let rewrites = 0;
      during = async () => {
        rewrites += 1;
        await b.republish(many(600).map((session) => ({ session, inactive: rewrites % 2 === 0 })));
      };
      const busy = await a.refresh();
      assert.deepEqual([busy.live, busy.unread, busy.wholeNodes, busy.changed.length, busy.removed.length], [['a', 'b', 'c'], ['b'], [], 0, 0]);
      // Every chunk of every try was followed by a rewrite; the tries are bounded (three of about a dozen chunks).
      assert.ok(rewrites >= 3 && rewrites <= 3 * Math.ceil(600 / 50) + 3, `${rewrites} rewrites`);
      assert.ok(!busy.has('b', 'o', 'u0', 'd') && busy.has('c', 'o', 'steady', 'd'));
      during = undefined;
      const calm = await a.refresh();
      assert.deepEqual([calm.unread, calm.wholeNodes, calm.changed.length], [[], ['b'], 600]);
      assert.ok(calm.changed.every((x) => x.inactive === (rewrites % 2 === 0)));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('a node whose keys Redis lost is left unread until it writes them back', async () => {
    const join = cluster(60_000);
    const [a, b] = await Promise.all([join('a'), join('b')]);
    const probe = redis.client();
    try {
      await b.register(s('u1'), false);
      assert.deepEqual((await read(a)).changed, ['b:u1/d/0']);
      // What a Redis restart leaves before b's heartbeat notices: b is live, its entries are not
      // all there, and nothing marks which are.
      const prefix = (a as unknown as { prefix: string }).prefix;
      await probe.del(`${prefix}sessions:b`, `${prefix}log:b`, `${prefix}seq:b`, `${prefix}epoch:b`);
      await b.register(s('u2'), false);
      const lost = await a.refresh();
      assert.deepEqual([lost.unread, lost.changed.length], [['b'], 0]);
      assert.ok(!lost.has('b', 'o', 'u1', 'd') && !lost.has('b', 'o', 'u2', 'd'));
      await b.republish([{ session: s('u1'), inactive: false }, { session: s('u2'), inactive: false }]);
      const back = await read(a);
      assert.deepEqual(back.changed, ['b:u1/d/0', 'b:u2/d/0']);
    } finally {
      probe.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a refresh while the previous one is still running', async () => {
    const join = cluster(60_000);
    const [a, b] = await Promise.all([join('a'), join('b')]);
    try {
      const first = a.refresh();
      await assert.rejects(a.refresh(), /still running/);
      assert.deepEqual((await first).live, ['a', 'b']);
      assert.deepEqual((await a.refresh()).live, ['a', 'b']);
    } finally {
      await Promise.all([a.close(), b.close()]);
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
