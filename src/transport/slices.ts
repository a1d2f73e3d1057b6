import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Calls `each` on what `items` yields, `size` items per event-loop turn, so that a pass over
 * many items never holds the loop for more than one slice. Items are drawn from the iterator
 * one at a time, as they are visited: an iterator over live collections (a Map's own iterator
 * follows deletions and additions) sees what other callbacks changed between slices, which is
 * why `each` must take nothing an earlier slice read as still true. After each turn, stops when
 * `stop()` holds and resolves false; resolves true once every item was visited.
 */
export async function inSlices<T>(items: Iterable<T>, size: number, each: (item: T) => void, stop: () => boolean): Promise<boolean> {
  if (!(size >= 1)) throw new Error('inSlices: size must be at least 1');
  let n = 0;
  for (const item of items) {
    each(item);
    if (++n % size === 0) {
      // A turn of the event loop: I/O, timers and bus events that are waiting run first.
      await nextTurn();
      if (stop()) return false;
    }
  }
  return true;
}
