import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { TestRedis } from '../helpers/redis.js';
import { MemoryBusHub } from '../../src/bus/memory-bus.js';
import { RedisRegistry } from '../../src/bus/redis-registry.js';
import type { SessionRegistry } from '../../src/bus/registry.js';
import type { Session } from '../../src/domain/session.js';
import type { Connection } from '../../src/transport/sessions.js';
import { ClusterSessions, SESSIONS_TOPIC } from '../../src/transport/cluster-sessions.js';
import { LocalSessions } from '../../src/transport/sessions.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping cluster view repair tests: ${skip}`);

let run = 0;
const RECONCILE_MS = 100;

/** Polls `check` until it holds; fails after `ms`. */
async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < ms, `${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The real registry of a node, whose next `failures` writes of its own entries fail as they do
 * while Redis cannot be reached (the client refuses at once: no offline queue).
 */
class FailingWrites implements SessionRegistry {
  failures = 0;
  constructor(private readonly inner: RedisRegistry) {}
  get nodeId(): string {
    return this.inner.nodeId;
  }
  private fails(): boolean {
    if (this.failures <= 0) return false;
    this.failures -= 1;
    return true;
  }
  register(session: Session, inactive: boolean): Promise<void> {
    return this.fails() ? Promise.reject(new Error('Stream isn\'t writeable')) : this.inner.register(session, inactive);
  }
  unregister(session: Session): Promise<void> {
    return this.fails() ? Promise.reject(new Error('Stream isn\'t writeable')) : this.inner.unregister(session);
  }
  refresh = () => this.inner.refresh();
  reapDead = () => this.inner.reapDead();
  republish = (sessions: Parameters<SessionRegistry['republish']>[0]) => this.inner.republish(sessions);
  close = () => this.inner.close();
}

// Node "a" runs the cluster layer; node "b" is only its registry entries, and nothing it would
// say on the bus arrives: every change a learns of comes from the registry's change log.
describe('cluster view repaired from the registry', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(() => redis.stop());

  const setup = async () => {
    const keyPrefix = `cs${String(++run)}:`;
    const join = (nodeId: string) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs: 60_000, keyPrefix });
    const [regA, regB] = await Promise.all([join('a'), join('b')]);
    const hub = new MemoryBusHub();
    const sessions = new ClusterSessions(new LocalSessions(), hub.node('a'), regA, pino({ level: 'silent' }), {
      reconcileMs: RECONCILE_MS,
      nodeTtlMs: 60_000,
      order: { gapWaitMs: 200, settleMs: 2000, idleMs: 60_000 },
    });
    const heard: string[] = [];
    sessions.listen({ online: (s) => heard.push(`online ${s.userId}`), offline: (s) => heard.push(`offline ${s.userId}`), ended: () => undefined });
    await sessions.start();
    const close = async () => {
      await sessions.close();
      await Promise.all([regA.close(), regB.close()]);
    };
    return { sessions, regB, hub, heard, close };
  };
  const s = (userId: string, deviceId = 'd') => ({ orgId: 'o', userId, deviceId });

  it('learns sign-ins, background flags and sign-outs whose bus events were lost', async () => {
    const { sessions, regB, heard, close } = await setup();
    try {
      await regB.register(s('u1'), false);
      await until('u1 online', () => sessions.isOnline('o', 'u1'));
      assert.equal(sessions.needsPush('o', 'u1'), false);
      await regB.register(s('u1'), true);
      await until('u1 backgrounded', () => sessions.needsPush('o', 'u1'));
      await regB.register(s('u1', 'tablet'), false);
      await regB.unregister(s('u1'));
      await regB.unregister(s('u1', 'tablet'));
      await until('u1 offline', () => !sessions.isOnline('o', 'u1'));
      assert.deepEqual(heard, ['online u1', 'offline u1']);
      // Nothing comes back in later rounds.
      await new Promise((r) => setTimeout(r, 3 * RECONCILE_MS));
      assert.equal(sessions.isOnline('o', 'u1'), false);
    } finally {
      await close();
    }
  });

  it('drops what a node no longer holds when it rewrites its entries, and keeps the rest', async () => {
    const { sessions, regB, heard, close } = await setup();
    try {
      await regB.register(s('u1'), false);
      await regB.register(s('u2'), false);
      await until('both online', () => sessions.isOnline('o', 'u1') && sessions.isOnline('o', 'u2'));
      // The registry lost b and b wrote back what it holds now (no bus events either way).
      await regB.republish([{ session: s('u2'), inactive: true }]);
      await until('u1 offline', () => !sessions.isOnline('o', 'u1'));
      await until('u2 backgrounded', () => sessions.needsPush('o', 'u2'));
      assert.equal(sessions.isOnline('o', 'u2'), true);
      assert.deepEqual(heard.sort(), ['offline u1', 'online u1', 'online u2']);
    } finally {
      await close();
    }
  });

  it('keeps a device heard on the bus for two rounds without a registry entry, then drops it; a registry entry keeps it', async () => {
    const { sessions, regB, hub, heard, close } = await setup();
    try {
      const b = hub.node('b');
      await regB.register(s('kept'), false);
      await until('kept online', () => sessions.isOnline('o', 'kept'));
      // A sign-in whose registry write never happened.
      await b.publish(SESSIONS_TOPIC, JSON.stringify({ t: 'bind', o: 'o', u: 'ghost', d: 'd', i: false }));
      await until('ghost online', () => sessions.isOnline('o', 'ghost'));
      const seen = Date.now();
      await until('ghost dropped', () => !sessions.isOnline('o', 'ghost'), 10 * RECONCILE_MS);
      assert.ok(Date.now() - seen >= 2 * RECONCILE_MS - 20, 'dropped before two rounds');
      // The registered device stays through many rounds without another read of it.
      await new Promise((r) => setTimeout(r, 4 * RECONCILE_MS));
      assert.equal(sessions.isOnline('o', 'kept'), true);
      assert.deepEqual(heard, ['online kept', 'online ghost', 'offline ghost']);
    } finally {
      await close();
    }
  });
  it('writes its own entries again after a write of them failed', async () => {
    // Here node "b" runs the cluster layer over a registry whose writes fail for a while (a short
    // Redis outage that loses no data, so Redis never reports the node lost); "a" only reads.
    const keyPrefix = `cs${String(++run)}:`;
    const join = (nodeId: string) => RedisRegistry.connect({ url: redis.url, nodeId, ttlMs: 60_000, keyPrefix });
    const [regA, regB] = await Promise.all([join('a'), join('b')]);
    const failing = new FailingWrites(regB);
    const local = new LocalSessions();
    const sessions = new ClusterSessions(local, new MemoryBusHub().node('b'), failing, pino({ level: 'silent' }), {
      reconcileMs: RECONCILE_MS,
      nodeTtlMs: 60_000,
      order: { gapWaitMs: 200, settleMs: 2000, idleMs: 60_000 },
    });
    const conn = (id: number): Connection => ({ id, address: '127.0.0.1', session: undefined, send: () => undefined, close: () => undefined });
    const held = async (): Promise<string[]> => (await regA.snapshot()).filter((e) => e.nodeId === 'b').map((e) => `${e.userId}${e.inactive ? ' (background)' : ''}`).sort();
    const eventually = async (what: string, want: string[]): Promise<void> => {
      const start = Date.now();
      for (let got = await held(); JSON.stringify(got) !== JSON.stringify(want); got = await held()) {
        assert.ok(Date.now() - start < 3000, `${what}: registry holds ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await sessions.start();
      const [c1, c2, c3] = [conn(1), conn(2), conn(3)];
      local.bind(c1, s('stays'));
      local.bind(c2, s('leaves'));
      await eventually('both written', ['leaves', 'stays']);
      // The sign-out, a sign-in and a background flag, all while writes fail.
      failing.failures = 3;
      local.unbind(c2);
      local.bind(c3, s('arrives'));
      local.setInactive(c1, true);
      await eventually('written again at a reconcile', ['arrives', 'stays (background)']);
    } finally {
      await sessions.close();
      await Promise.all([regA.close(), regB.close()]);
    }
  });
});
