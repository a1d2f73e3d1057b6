import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSUMER_KINDS, keysContaining, QueueConsumer, type JobHandler } from '../../../test/helpers/queue-consumers.js';
import { TestRedis } from '../../../test/helpers/redis.js';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { SamaQueueSender } from './sama-queue.js';

// SAMA's daemon is a BullMQ 5 (0.3.0) or Bull 4 (0.1–0.2) consumer with default settings; these
// run the real libraries on Parley's queue instead of reading the key layout back.

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping SAMA push queue consumer tests: ${skip}`);

function webSub(secret: string): PushSubscriptionRecord {
  return { _id: newId(), organization_id: newId(), user_id: newId(), platform: 'web', device_udid: 'tab', web_endpoint: 'https://push.example/x', web_key_auth: secret, web_key_p256dh: 'p256', device_token: null, created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000 };
}

for (const kind of CONSUMER_KINDS) {
  describe(`SAMA push queue consumed by ${kind}`, { skip: skip ?? false }, () => {
    let redis: TestRedis;
    before(async () => {
      redis = await TestRedis.start();
    });
    after(() => redis.stop());

    /** Runs `body` with a fresh queue, a sender on it, a consumer running `handler` and a probe client. */
    async function withQueue(attempts: number, handler: JobHandler, body: (s: SamaQueueSender, c: QueueConsumer, r: ReturnType<TestRedis['client']>, queue: string) => Promise<void>): Promise<void> {
      const queue = `q${newId()}`;
      const sender = new SamaQueueSender({ redisUrl: redis.url, queueName: queue, timeoutMs: 2000, attempts, backoffMs: 50, onError: () => undefined });
      const consumer = await QueueConsumer.start(kind, redis.url, queue, handler);
      const r = redis.client();
      try {
        await body(sender, consumer, r, queue);
      } finally {
        await consumer.close();
        await sender.close();
        r.disconnect();
      }
    }

    it('an idle consumer takes a job within 100 ms, and the completed job leaves nothing behind', async () => {
      const secret = `auth-${newId()}`;
      const taken: { at: number; data: any }[] = [];
      await withQueue(3, (data) => void taken.push({ at: Date.now(), data }), async (sender, consumer, r, queue) => {
        await consumer.idle(r);
        const start = Date.now();
        assert.deepEqual(await sender.send([webSub(secret)], '{"title":"t","body":"b","cid":"c"}'), [{ kind: 'sent' }]);
        assert.deepEqual(await consumer.waitFinished(1), [{ id: '1', state: 'completed' }]);
        const latency = taken[0]!.at - start;
        console.log(`# ${kind}: job taken ${latency} ms after it was queued`);
        assert.ok(latency < 100, `taken after ${latency} ms`);
        assert.equal(taken[0]!.data.devices[0].web_key_auth, secret);
        assert.equal(Buffer.from(taken[0]!.data.message, 'base64').toString(), '{"title":"t","body":"b","cid":"c"}');
        assert.deepEqual(await keysContaining(r, secret), []);
        assert.equal(await r.exists(`bull:${queue}:1`, `bull:${queue}:completed`, `bull:${queue}:wait`, `bull:${queue}:active`), 0);
      });
    });

    it('retries a job whose processing throws, after the back-off, then removes it', async () => {
      const secret = `auth-${newId()}`;
      const tries: { at: number; attempt: number }[] = [];
      const handler: JobHandler = (_data, attempt) => {
        tries.push({ at: Date.now(), attempt });
        if (attempt === 1) throw new Error('push service answered 503');
      };
      await withQueue(3, handler, async (sender, consumer, r, queue) => {
        await sender.send([webSub(secret)], '{"title":"retry me"}');
        assert.deepEqual((await consumer.waitFinished(2)).map((f) => f.state), ['failed', 'completed']);
        assert.deepEqual(tries.map((t) => t.attempt), [1, 2]);
        assert.ok(tries[1]!.at - tries[0]!.at >= 45, `retried after ${tries[1]!.at - tries[0]!.at} ms, before the 50 ms back-off`);
        assert.deepEqual(await keysContaining(r, secret), []);
        assert.equal(await r.exists(`bull:${queue}:1`, `bull:${queue}:delayed`, `bull:${queue}:failed`), 0);
      });
    });

    it('gives a job up after its attempts and keeps nothing of it', async () => {
      const secret = `auth-${newId()}`;
      let calls = 0;
      await withQueue(2, () => {
        calls++;
        throw new Error('always down');
      }, async (sender, consumer, r, queue) => {
        await sender.send([webSub(secret)], '{"title":"doomed"}');
        assert.deepEqual((await consumer.waitFinished(2)).map((f) => f.state), ['failed', 'failed']);
        await new Promise((res) => setTimeout(res, 150));
        assert.equal(calls, 2, 'no third attempt');
        assert.deepEqual(await keysContaining(r, secret), []);
        assert.equal(await r.exists(`bull:${queue}:1`, `bull:${queue}:failed`, `bull:${queue}:delayed`), 0);
      });
    });

    it('holds jobs queued while the queue is paused until it is resumed', async () => {
      const taken: number[] = [];
      await withQueue(3, () => void taken.push(Date.now()), async (sender, consumer, r, queue) => {
        await consumer.pause();
        await sender.send([webSub('s')], '{"title":"paused"}');
        assert.deepEqual(await r.lrange(`bull:${queue}:paused`, 0, -1), ['1']);
        assert.equal(await r.llen(`bull:${queue}:wait`), 0);
        await new Promise((res) => setTimeout(res, 200));
        assert.deepEqual(taken, [], 'taken while paused');
        const resumed = Date.now();
        await consumer.resume();
        assert.deepEqual(await consumer.waitFinished(1, 6000), [{ id: '1', state: 'completed' }]);
        console.log(`# ${kind}: paused job taken ${taken[0]! - resumed} ms after resume`);
      });
    });
  });
}
