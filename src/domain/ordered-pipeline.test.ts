import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderedPipeline } from './ordered-pipeline.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OrderedPipeline', () => {
  it('starts a pipelined task once the previous one is sequenced, and finishes in order', async () => {
    const q = new OrderedPipeline();
    const log: string[] = [];
    const commit = [0, 1].map(() => {
      let resolve!: () => void;
      return { promise: new Promise<void>((r) => (resolve = r)), resolve };
    });
    const task = (n: number) =>
      q.run(
        'k',
        true,
        async (sequenced) => {
          log.push(`start ${n}`);
          sequenced();
          await commit[n]!.promise;
          return n;
        },
        async (r) => {
          log.push(`finish ${r}`);
          await Promise.resolve();
        },
      );
    const all = Promise.all([task(0), task(1)]);
    await tick();
    assert.deepEqual(log, ['start 0', 'start 1']); // the second started before the first committed
    commit[1]!.resolve(); // even if the later one is ready first...
    await tick();
    assert.deepEqual(log, ['start 0', 'start 1']); // ...it waits for the earlier finish
    commit[0]!.resolve();
    await all;
    assert.deepEqual(log, ['start 0', 'start 1', 'finish 0', 'finish 1']);
    assert.equal(q.size, 0);
  });

  it('runs a task that is not pipelined only after every earlier task finished', async () => {
    const q = new OrderedPipeline();
    const log: string[] = [];
    const a = q.run(
      'k',
      true,
      async (sequenced) => {
        sequenced();
        await tick(20);
        return 'a';
      },
      async (r) => {
        log.push(`finish ${r}`);
        await tick(5);
        log.push(`finished ${r}`);
      },
    );
    const b = q.run(
      'k',
      false,
      async () => {
        log.push('start b');
        await tick(1);
        return 'b';
      },
      async (r) => {
        log.push(`finish ${r}`);
        await Promise.resolve();
      },
    );
    const c = q.run(
      'k',
      true,
      async () => {
        log.push('start c');
        await Promise.resolve();
        return 'c';
      },
      async (r) => {
        log.push(`finish ${r}`);
        await Promise.resolve();
      },
    );
    await Promise.all([a, b, c]);
    assert.deepEqual(log, ['finish a', 'finished a', 'start b', 'start c', 'finish b', 'finish c']);
  });

  it('passes failures to their own caller and keeps the key moving', async () => {
    const q = new OrderedPipeline();
    const failing = q.run(
      'k',
      true,
      () => Promise.reject(new Error('refused')),
      () => Promise.resolve(),
    );
    const after = q.run(
      'k',
      true,
      () => Promise.resolve(1),
      () => Promise.resolve(),
    );
    await assert.rejects(failing, /refused/);
    await after;
    const other = q.run(
      'j',
      false,
      () => Promise.resolve(1),
      () => Promise.reject(new Error('finish failed')),
    );
    await assert.rejects(other, /finish failed/);
    assert.equal(q.size, 0);
  });

  // Found by the fuzz test: a pipelined start that failed while an earlier task was still
  // finishing left a rejected promise with no handler for a while, and Node ended the process.
  it('does not leave a failed start unhandled while an earlier task is still finishing', async () => {
    const q = new OrderedPipeline();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let release!: () => void;
      const slowFinish = new Promise<void>((r) => (release = r));
      const first = q.run('k', true, (sequenced) => (sequenced(), Promise.resolve(1)), () => slowFinish);
      const second = q.run('k', true, () => Promise.reject(new Error('bad second')), () => Promise.resolve());
      const secondResult = second.then(() => 'ok', (err: Error) => err.message);
      await tick(20);
      release();
      await first;
      assert.equal(await secondResult, 'bad second');
      await tick(5);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
