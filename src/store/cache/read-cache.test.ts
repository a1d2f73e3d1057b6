import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadCache } from './read-cache.js';

/** A load whose result the test releases by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ReadCache', () => {
  it('loads once, shares a load between concurrent gets, and answers later gets from memory', async () => {
    const cache = new ReadCache<string>(10);
    let loads = 0;
    const load = (): Promise<string> => {
      loads++;
      return Promise.resolve('v');
    };
    assert.deepEqual(await Promise.all([cache.get('k', load), cache.get('k', load)]), ['v', 'v']);
    assert.equal(await cache.get('k', load), 'v');
    assert.equal(loads, 1);
  });

  it('never keeps a value whose load raced with an invalidation', async () => {
    const cache = new ReadCache<string>(10);
    const slow = deferred<string>();
    const stale = cache.get('k', () => slow.promise);
    cache.invalidate('k'); // a write committed while the read was in flight
    slow.resolve('old');
    assert.equal(await stale, 'old'); // the racing caller gets its own read...
    assert.equal(await cache.get('k', () => Promise.resolve('new')), 'new'); // ...but it is not kept
    assert.equal(await cache.get('k', () => Promise.resolve('newer')), 'new');
  });

  it('does not keep undefined, forgets failed loads, and patches only present entries', async () => {
    const cache = new ReadCache<number>(10);
    assert.equal(await cache.get('k', () => Promise.resolve(undefined)), undefined);
    assert.equal(cache.size, 0);
    await assert.rejects(cache.get('k', () => Promise.reject(new Error('down'))), /down/);
    cache.update('k', (v) => v + 1);
    assert.equal(await cache.get('k', () => Promise.resolve(1)), 1);
    cache.update('k', (v) => v + 1);
    assert.equal(await cache.get('k', () => Promise.resolve(100)), 2);
    cache.clear();
    assert.equal(await cache.get('k', () => Promise.resolve(7)), 7);
  });

  it('a patch also stops an in-flight load from filling the entry', async () => {
    const cache = new ReadCache<number>(10);
    const slow = deferred<number>();
    const racing = cache.get('k', () => slow.promise);
    cache.update('k', (v) => v + 1);
    slow.resolve(1);
    await racing;
    assert.equal(await cache.get('k', () => Promise.resolve(5)), 5);
  });

  it('drops the least recently used entry past its capacity', async () => {
    const cache = new ReadCache<string>(2);
    await cache.get('a', () => Promise.resolve('a'));
    await cache.get('b', () => Promise.resolve('b'));
    await cache.get('a', () => Promise.resolve('reloaded a'));
    await cache.get('c', () => Promise.resolve('c'));
    assert.equal(cache.size, 2);
    assert.equal(await cache.get('a', () => Promise.resolve('reloaded a')), 'a');
    assert.equal(await cache.get('b', () => Promise.resolve('reloaded b')), 'reloaded b');
  });
});
