import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Bus, BusEnvelope } from '../bus.js';

/** Opens one bus per node id, all on the same cluster; the suite closes them. */
export type BusFactory = (nodeIds: readonly string[]) => Promise<Bus[]>;

/** Resolves when `check` holds; fails the test after `ms`. */
async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let suiteRun = 0;

/**
 * The bus port's promises (bus/bus.ts), for every implementation. Each test uses its own topics,
 * so implementations that share a server across tests stay independent.
 */
export function busContract(open: () => BusFactory): void {
  const topic = (name: string): string => `t${String(++suiteRun)}-${process.pid}-${name}`;
  const withNodes = async (ids: readonly string[], body: (buses: Bus[]) => Promise<void>): Promise<void> => {
    const buses = await open()(ids);
    try {
      await body(buses);
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  };

  it('delivers to every subscriber of a topic, the publisher included, with its node id and time', async () => {
    await withNodes(['a', 'b'], async ([a, b]) => {
      assert.ok(a && b);
      const t = topic('all');
      const got: Record<string, BusEnvelope[]> = { a: [], b: [] };
      await a.subscribe(t, (e) => got.a?.push(e));
      await b.subscribe(t, (e) => got.b?.push(e));
      assert.equal(a.healthy && b.healthy, true);
      const before = Date.now();
      await a.publish(t, 'hello');
      await until('both got it', () => got.a?.length === 1 && got.b?.length === 1);
      for (const e of [...(got.a ?? []), ...(got.b ?? [])]) {
        assert.equal(e.payload, 'hello');
        assert.equal(e.from, 'a');
        assert.ok(e.sentAt >= before - 5 && e.sentAt <= Date.now());
      }
    });
  });

  it('keeps topics apart and one publisher\'s order on a topic', async () => {
    await withNodes(['a', 'b', 'c'], async ([a, b, c]) => {
      assert.ok(a && b && c);
      const tb = topic('node-b');
      const tc = topic('node-c');
      const atB: string[] = [];
      const atC: string[] = [];
      await b.subscribe(tb, (e) => atB.push(e.payload));
      await c.subscribe(tc, (e) => atC.push(e.payload));
      const n = 2000;
      for (let i = 0; i < n; i++) void a.publish(i % 2 === 0 ? tb : tc, String(i));
      await until('all arrived', () => atB.length === n / 2 && atC.length === n / 2, 10_000);
      assert.deepEqual(atB, Array.from({ length: n / 2 }, (_, i) => String(i * 2)));
      assert.deepEqual(atC, Array.from({ length: n / 2 }, (_, i) => String(i * 2 + 1)));
    });
  });

  it('carries large and non-ASCII payloads unchanged, newlines included', async () => {
    await withNodes(['a', 'b'], async ([a, b]) => {
      assert.ok(a && b);
      const t = topic('big');
      const got: string[] = [];
      await b.subscribe(t, (e) => got.push(e.payload));
      const big = `${'é☃\n'.repeat(100_000)}{"end":true}`;
      await a.publish(t, big);
      await a.publish(t, '');
      await until('both arrived', () => got.length === 2);
      assert.equal(got[0], big);
      assert.equal(got[1], '');
    });
  });

  it('stops delivering once unsubscribed, and keeps the other subscribers of the topic', async () => {
    await withNodes(['a', 'b'], async ([a, b]) => {
      assert.ok(a && b);
      const t = topic('unsub');
      const first: string[] = [];
      const second: string[] = [];
      const off = await b.subscribe(t, (e) => first.push(e.payload));
      await b.subscribe(t, (e) => second.push(e.payload));
      await a.publish(t, 'one');
      await until('one', () => first.length === 1 && second.length === 1);
      await off();
      await a.publish(t, 'two');
      await until('two', () => second.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(first, ['one']);
      assert.deepEqual(second, ['one', 'two']);
    });
  });

  it('delivers nothing published before a subscription, and survives a throwing handler', async () => {
    await withNodes(['a', 'b'], async ([a, b]) => {
      assert.ok(a && b);
      const t = topic('late');
      await a.publish(t, 'early');
      const got: string[] = [];
      await b.subscribe(t, () => {
        throw new Error('handler bug');
      });
      await b.subscribe(t, (e) => got.push(e.payload));
      await a.publish(t, 'late');
      await until('late', () => got.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, ['late']);
    });
  });

  it('drops publications after close without throwing', async () => {
    await withNodes(['a'], async ([a]) => {
      assert.ok(a);
      await a.close();
      await a.publish(topic('closed'), 'x');
    });
  });
}
