import Bull from 'bull';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/** The job libraries SAMA's push daemon has consumed with: BullMQ 5 (0.3.0) and Bull 4 (0.1–0.2). */
export type ConsumerKind = 'bullmq' | 'bull';
export const CONSUMER_KINDS: readonly ConsumerKind[] = ['bullmq', 'bull'];

/** Runs one job; `attempt` counts from 1. Throwing fails this attempt. */
export type JobHandler = (data: any, attempt: number) => void | Promise<void>;

/** How one attempt ended, as the consumer's own events report it. */
export interface Finished {
  readonly id: string;
  readonly state: 'completed' | 'failed';
}

/**
 * A real queue consumer (the library SAMA's daemon uses, default settings as the daemon runs it)
 * on a test Redis, with what it did recorded for assertions.
 */
export class QueueConsumer {
  readonly finished: Finished[] = [];

  private constructor(
    readonly kind: ConsumerKind,
    private readonly stopOne: () => Promise<void>,
    private readonly pauseOne: () => Promise<void>,
    private readonly resumeOne: () => Promise<void>,
  ) {}

  static async start(kind: ConsumerKind, redisUrl: string, queue: string, handler: JobHandler): Promise<QueueConsumer> {
    if (kind === 'bullmq') {
      const worker = new Worker(queue, async (job) => {
        await handler(job.data, job.attemptsMade + 1);
      }, { connection: { url: redisUrl, maxRetriesPerRequest: null } });
      const admin = new Queue(queue, { connection: { url: redisUrl } });
      const consumer = new QueueConsumer(
        kind,
        async () => {
          await worker.close();
          await admin.close();
        },
        () => admin.pause(),
        () => admin.resume(),
      );
      worker.on('completed', (job) => consumer.finished.push({ id: String(job.id), state: 'completed' }));
      worker.on('failed', (job) => consumer.finished.push({ id: String(job?.id), state: 'failed' }));
      await worker.waitUntilReady();
      return consumer;
    }
    const bull = new Bull(queue, redisUrl);
    const consumer = new QueueConsumer(
      kind,
      () => bull.close(),
      () => bull.pause(),
      () => bull.resume(),
    );
    bull.on('completed', (job) => consumer.finished.push({ id: String(job.id), state: 'completed' }));
    bull.on('failed', (job) => consumer.finished.push({ id: String(job.id), state: 'failed' }));
    // process() resolves only when the queue closes; its rejection is a test failure to report.
    bull.process(async (job) => {
      await handler(job.data, job.attemptsMade + 1);
    }).catch((err: unknown) => console.error('bull process() failed', err));
    await bull.isReady();
    return consumer;
  }

  /**
   * Resolves once the consumer sits in its blocking wait for work (BullMQ: BZPOPMIN on the
   * marker; Bull 4: BRPOPLPUSH on the wait list), i.e. it is idle and only a wake-up brings it
   * back before its timeout. Assumes no other consumer runs on this Redis.
   */
  async idle(probe: Redis): Promise<void> {
    const cmd = this.kind === 'bullmq' ? 'bzpopmin' : 'brpoplpush';
    const deadline = Date.now() + 5000;
    for (;;) {
      const list = (await probe.call('CLIENT', 'LIST')) as string;
      if (list.split('\n').some((l) => / flags=\w*b/.test(l) && l.includes(` cmd=${cmd} `))) return;
      if (Date.now() > deadline) throw new Error(`${this.kind} consumer never blocked on ${cmd}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves once `n` attempts have finished, completed or failed. */
  async waitFinished(n: number, timeoutMs = 3000): Promise<Finished[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.finished.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.kind}: ${this.finished.length} of ${n} attempts finished`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.finished.slice(0, n);
  }

  /** Pauses the whole queue, as an operator does (Bull 4: meta-paused key; BullMQ: meta hash). */
  pause(): Promise<void> {
    return this.pauseOne();
  }

  resume(): Promise<void> {
    return this.resumeOne();
  }

  close(): Promise<void> {
    return this.stopOne();
  }
}

/**
 * Every Redis key whose content contains `needle` (strings, hashes, lists, sets, sorted sets
 * and streams), to show that no secret is left behind.
 */
export async function keysContaining(r: Redis, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const key of await r.keys('*')) {
    const type = await r.type(key);
    let text: string;
    switch (type) {
      case 'string': text = (await r.get(key)) ?? ''; break;
      case 'hash': text = JSON.stringify(await r.hgetall(key)); break;
      case 'list': text = JSON.stringify(await r.lrange(key, 0, -1)); break;
      case 'set': text = JSON.stringify(await r.smembers(key)); break;
      case 'zset': text = JSON.stringify(await r.zrange(key, '0', '-1')); break;
      case 'stream': text = JSON.stringify(await r.xrange(key, '-', '+')); break;
      default: text = '';
    }
    if (text.includes(needle)) found.push(key);
  }
  return found;
}
