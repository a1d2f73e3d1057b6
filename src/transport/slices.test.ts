import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inSlices } from './slices.js';

describe('inSlices', () => {
  it('visits every item, a slice per turn, letting other callbacks run between slices', async () => {
    const log: string[] = [];
    let other = 0;
    const tick = (): void => {
      other += 1;
      log.push(`other ${other}`);
      if (other < 10) setImmediate(tick);
    };
    setImmediate(tick);
    const done = await inSlices([1, 2, 3, 4, 5, 6, 7], 3, (n) => log.push(String(n)), () => false);
    assert.equal(done, true);
    assert.deepEqual(log.slice(0, 9), ['1', '2', '3', 'other 1', '4', '5', '6', 'other 2', '7']);
  });

  it('draws from a live Map, so what changed between slices is seen, and stops when told', async () => {
    const m = new Map([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const seen: string[] = [];
    setImmediate(() => {
      m.delete('c');
      m.set('e', 5);
    });
    assert.equal(await inSlices(m.keys(), 2, (k) => seen.push(k), () => false), true);
    assert.deepEqual(seen, ['a', 'b', 'd', 'e']);
    let stopped = false;
    setImmediate(() => (stopped = true));
    const visited: number[] = [];
    assert.equal(await inSlices([1, 2, 3, 4, 5], 2, (n) => visited.push(n), () => stopped), false);
    assert.deepEqual(visited, [1, 2]);
  });
});
