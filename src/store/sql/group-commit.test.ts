import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitter } from './group-commit.js';

/** A batch writer that records each batch and answers every item doubled. */
function recorder(failOn?: number): { batches: number[][]; starts: number[]; write: (items: number[]) => Promise<number[]> } {
  const batches: number[][] = [];
  const starts: number[] = [];
  return {
    batches,
    starts,
    async write(items) {
      starts.push(performance.now());
      batches.push([...items]);
      await new Promise((r) => setTimeout(r, 2));
      if (failOn !== undefined && items.includes(failOn)) throw new Error(`bad item ${failOn}`);
      return items.map((i) => i * 2);
    },
  };
}

describe('GroupCommitter', () => {
  it('writes items submitted together in one batch and answers each in order', async () => {
    const rec = recorder();
    const gc = new GroupCommitter(rec.write);
    const results = await Promise.all([1, 2, 3].map((i) => gc.submit(i)));
    assert.deepEqual(results, [2, 4, 6]);
    assert.deepEqual(rec.batches, [[1, 2, 3]]);
  });

  it('gathers items that arrive while a batch is written into the next one, up to maxBatch', async () => {
    const rec = recorder();
    const gc = new GroupCommitter(rec.write, { maxBatch: 2 });
    const first = gc.submit(1);
    await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4].map((i) => gc.submit(i));
    assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8]);
    assert.deepEqual(rec.batches, [[1], [2, 3], [4]]);
  });

  it('fails only the bad item of a failed batch', async () => {
    const rec = recorder(2);
    const gc = new GroupCommitter(rec.write);
    const settled = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(rec.batches, [[1, 2, 3], [1], [2], [3]]);
  });

  it('starts batches at least minIntervalMs apart, so items keep joining meanwhile', async () => {
    const rec = recorder();
    const gc = new GroupCommitter(rec.write, { minIntervalMs: 30 });
    const all: Promise<number>[] = [];
    // One item every 5 ms for 100 ms: without the interval each would mostly go alone.
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      all.push(gc.submit(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = performance.now() - t0;
    assert.deepEqual(await Promise.all(all), Array.from({ length: 20 }, (_, i) => i * 2));
    assert.deepEqual(rec.batches.flat(), Array.from({ length: 20 }, (_, i) => i));
    for (let k = 1; k < rec.starts.length; k++) {
      // Timers may fire up to a millisecond early against performance.now(); without the
      // interval the gaps would be the 2 ms write time.
      const gap = (rec.starts[k] as number) - (rec.starts[k - 1] as number);
      assert.ok(gap >= 25, `batch ${k} started ${gap.toFixed(1)} ms after the previous one`);
    }
    // At most one batch per interval of the time the items took to arrive (about 100 ms, more on
    // a loaded machine), plus the last; without the interval it would be about 20.
    const bound = Math.ceil(elapsed / 30) + 1;
    assert.ok(rec.batches.length <= Math.min(bound, 12), `${rec.batches.length} batches for 20 items over ${elapsed.toFixed(0)} ms`);
    await gc.idle();
  });
  it('waits gatherMs for company only while busy: an idle item after a quiet spell is written at once', async () => {
    const rec = recorder();
    const gc = new GroupCommitter(rec.write, { gatherMs: 200, busyWindowMs: 1000 });
    // First item ever: nothing started recently, so no wait.
    let t0 = performance.now();
    await gc.submit(1);
    const idleWait = performance.now() - t0;
    // Right after (within the busy window): the next idle item waits gatherMs and collects others.
    t0 = performance.now();
    const busy = gc.submit(2);
    setTimeout(() => void gc.submit(3), 10);
    await busy;
    const busyWait = performance.now() - t0;
    assert.ok(idleWait < 150, `a quiet committer waited ${idleWait.toFixed(1)} ms`);
    assert.ok(busyWait >= 190, `a busy committer wrote after ${busyWait.toFixed(1)} ms`);
    await gc.idle();
    assert.deepEqual(rec.batches, [[1], [2, 3]]);
  });

  it('with maxInFlight, writes batches of other keys meanwhile, never two of one key, each key in order', async () => {
    const batches: string[][] = [];
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const gc = new GroupCommitter<string, string>(
      async (items) => {
        batches.push([...items]);
        inFlight++;
        most = Math.max(most, inFlight);
        // Each batch stays in flight until the test lets it go.
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return items.map((i) => i.toUpperCase());
      },
      { maxInFlight: 2, keyOf: (i: string) => i.slice(0, 1) },
    );
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    const a1 = gc.submit('a1');
    await tick();
    // a1 is in flight: a2 must wait for it, b1 goes at once beside it.
    const a2 = gc.submit('a2');
    const b1 = gc.submit('b1');
    await tick();
    assert.deepEqual(batches, [['a1'], ['b1']]);
    // Both slots are taken: c1 waits although its key is free.
    const c1 = gc.submit('c1');
    await tick();
    assert.equal(batches.length, 2);
    release.shift()?.();
    assert.equal(await a1, 'A1');
    await tick();
    // a1's slot frees: a2 (its key now free) and c1 go together, in submission order.
    assert.deepEqual(batches[2], ['a2', 'c1']);
    while (release.length > 0 || batches.length < 3) {
      release.shift()?.();
      await tick();
    }
    assert.deepEqual(await Promise.all([a2, b1, c1]), ['A2', 'B1', 'C1']);
    assert.equal(most, 2);
    await gc.idle();
  });

  it('refuses maxInFlight above 1 without keyOf', () => {
    assert.throws(() => new GroupCommitter((items: number[]) => Promise.resolve(items), { maxInFlight: 2 }), /keyOf/);
  });
});
