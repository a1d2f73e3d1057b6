import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { MemoryBusHub } from '../../src/bus/memory-bus.js';
import type { RegisteredSession, RegistryRefresh, SessionRegistry } from '../../src/bus/registry.js';
import { ClusterSessions, SESSIONS_TOPIC } from '../../src/transport/cluster-sessions.js';
import { LocalSessions } from '../../src/transport/sessions.js';

// The cluster layer's reconcile against a scripted registry (no Redis): what it does with large
// refreshes applied over many event-loop turns, while bus events arrive between them.

/** A registry entry of user `u` (device 'd', org 'o') on `node`. */
const entry = (node: string, u: string): RegisteredSession => ({ nodeId: node, orgId: 'o', userId: u, deviceId: 'd', inactive: false });

/** A refresh result: `held` is what the registry holds now, as "node:user". */
function refreshOf(o: { live?: string[]; changed?: RegisteredSession[]; removed?: RegisteredSession[]; whole?: string[]; held?: Iterable<string> }): RegistryRefresh {
  const held = new Set(o.held ?? (o.changed ?? []).map((e) => `${e.nodeId}:${e.userId}`));
  return {
    live: o.live ?? ['a', 'b', 'c'],
    changed: o.changed ?? [],
    removed: o.removed ?? [],
    wholeNodes: o.whole ?? [],
    unread: [],
    has: (nodeId, _orgId, userId) => held.has(`${nodeId}:${userId}`),
  };
}

/** A registry whose refreshes answer from a script; once the script is used up, the last answer again. */
class ScriptedRegistry implements SessionRegistry {
  readonly nodeId = 'a';
  calls = 0;
  constructor(private readonly script: (() => RegistryRefresh | Promise<RegistryRefresh>)[]) {}
  refresh(): Promise<RegistryRefresh> {
    const step = this.script[Math.min(this.calls, this.script.length - 1)];
    this.calls += 1;
    return Promise.resolve(step ? step() : refreshOf({}));
  }
  register(): Promise<void> {
    return Promise.resolve();
  }
  unregister(): Promise<void> {
    return Promise.resolve();
  }
  reapDead(): Promise<{ nodeId: string; sessions: RegisteredSession[] }[]> {
    return Promise.resolve([]);
  }
  republish(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Node "a"'s cluster layer over `registry`; `heard` collects its presence news as "online u" / "offline u". */
function nodeA(registry: SessionRegistry, reconcileMs: number) {
  const hub = new MemoryBusHub();
  const sessions = new ClusterSessions(new LocalSessions(), hub.node('a'), registry, pino({ level: 'silent' }), {
    reconcileMs,
    nodeTtlMs: 60_000,
    order: { gapWaitMs: 200, settleMs: 2000, idleMs: 60_000 },
  });
  const heard: string[] = [];
  sessions.listen({ online: (s) => heard.push(`online ${s.userId}`), offline: (s) => heard.push(`offline ${s.userId}`), ended: () => undefined });
  return { sessions, hub, heard };
}

const users = (n: number, node = 'b') => Array.from({ length: n }, (_, i) => entry(node, `u${String(i)}`));
const turn = () => new Promise<void>((r) => setImmediate(r));

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < ms, `${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('cluster reconcile in slices', () => {
  it('gives the event loop turns while it applies a whole node and checks the view', async () => {
    const registry = new ScriptedRegistry([() => refreshOf({ changed: users(20_000), whole: ['b'] })]);
    const { sessions } = nodeA(registry, 3_600_000);
    let turns = 0;
    let done = false;
    const count = (): void => {
      turns += 1;
      if (!done) setImmediate(count);
    };
    setImmediate(count);
    try {
      await sessions.start();
      done = true;
      assert.equal(sessions.onlineUserCount(), 20_000);
      // 20,000 entries applied and 20,000 devices checked, 2,000 a turn.
      assert.ok(turns >= 15, `only ${turns} turns`);
    } finally {
      done = true;
      await sessions.close();
    }
  });

  it('never runs two reconciles at once when one outlasts the period', async () => {
    let release: (r: RegistryRefresh) => void = () => undefined;
    const registry = new ScriptedRegistry([() => refreshOf({}), () => new Promise<RegistryRefresh>((r) => (release = r)), () => refreshOf({})]);
    const { sessions } = nodeA(registry, 10);
    try {
      await sessions.start();
      await until('second reconcile', () => registry.calls === 2);
      // Many periods while the second is blocked in its refresh: no third one starts.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(registry.calls, 2);
      release(refreshOf({}));
      await until('reconciling again', () => registry.calls > 3);
    } finally {
      await sessions.close();
    }
  });

  it('stops between slices once closed', async () => {
    const registry = new ScriptedRegistry([() => refreshOf({ changed: users(20_000), whole: ['b'] })]);
    const { sessions, heard } = nodeA(registry, 3_600_000);
    // Closed from within the first slice, at its first sign-in.
    let closing: Promise<void> | undefined;
    sessions.listen({
      online: () => {
        closing ??= sessions.close();
      },
      offline: () => undefined,
      ended: () => undefined,
    });
    await sessions.start();
    await closing;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(heard.length, 2000, 'applied after the close');
  });

  it('a sign-out heard between slices of older registry entries is repaired by the next refreshes', async () => {
    // b's entries as first read include "late", applied in the last slice; b signs it out (on the
    // bus) while earlier slices are being applied. The registry's removal shows next time.
    const first = users(9_999).concat(entry('b', 'late'));
    const rest = first.slice(0, -1).map((e) => `b:${e.userId}`);
    const registry = new ScriptedRegistry([
      () => refreshOf({ changed: first, whole: ['b'] }),
      () => refreshOf({ removed: [entry('b', 'late')], held: rest }),
      () => refreshOf({ held: rest }),
    ]);
    const { sessions, hub, heard } = nodeA(registry, 40);
    try {
      // Said during the first slice (at its first sign-in), so heard before the next one.
      let said = false;
      const b = hub.node('b');
      sessions.listen({
        online: () => {
          if (!said) void b.publish(SESSIONS_TOPIC, JSON.stringify({ t: 'unbind', o: 'o', u: 'late', d: 'd', stay: false, ra: 1 }));
          said = true;
        },
        offline: () => undefined,
        ended: () => undefined,
      });
      await sessions.start();
      // The older entry brought it back for a while (as before slicing, in a narrower window).
      assert.equal(sessions.isOnline('o', 'late'), true);
      await until('late offline', () => !sessions.isOnline('o', 'late'));
      assert.deepEqual(heard.filter((h) => h.endsWith(' late')), ['online late', 'offline late']);
      assert.equal(sessions.onlineUserCount(), 9_999);
    } finally {
      await sessions.close();
    }
  });

  it('moves a device to the node the registry holds it on when its older node lets it go', async () => {
    // "x" signs in on c; b's older entry of it (b had not let it go yet) is applied after c's
    // and wins the view; then b's removal shows. The registry still holds x on c all along.
    const registry = new ScriptedRegistry([
      () => refreshOf({ changed: [entry('c', 'x')], whole: ['b', 'c'] }),
      () => refreshOf({ changed: [entry('b', 'x')], held: ['c:x', 'b:x'] }),
      () => refreshOf({ removed: [entry('b', 'x')], held: ['c:x'] }),
      () => refreshOf({ held: ['c:x'] }),
    ]);
    const { sessions, heard } = nodeA(registry, 20);
    try {
      await sessions.start();
      // Well past the two periods of grace after b's removal.
      await until('many rounds', () => registry.calls >= 10);
      assert.equal(sessions.isOnline('o', 'x'), true);
      assert.deepEqual(heard, ['online x']);
      // Held on c now: a packet for x goes to c.
      const sent: string[] = [];
      const hub = (sessions as unknown as { bus: { publish(topic: string, payload: string): Promise<void> } }).bus;
      const publish = hub.publish.bind(hub);
      hub.publish = (topic, payload) => {
        sent.push(topic);
        return publish(topic, payload);
      };
      sessions.sendToUser('o', 'x', '{}');
      await turn();
      assert.deepEqual(sent, ['node:c']);
    } finally {
      await sessions.close();
    }
  });
});
