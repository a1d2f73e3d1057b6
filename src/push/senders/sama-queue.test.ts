import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/helpers/free-port.js';
import { TestRedis } from '../../../test/helpers/redis.js';
import { newId } from '../../protocol/ids.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import { SamaQueueSender } from './sama-queue.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping SAMA push queue tests: ${skip}`);

const web: PushSubscriptionRecord = { _id: newId(), organization_id: newId(), user_id: newId(), platform: 'web', device_udid: 'tab', web_endpoint: 'https://push.example/x', web_key_auth: 'auth', web_key_p256dh: 'p256', device_token: null, created_at: 1_700_000_000_000, updated_at: 1_700_000_000_500 };
const ios: PushSubscriptionRecord = { ...web, _id: newId(), platform: 'ios', device_udid: 'phone', web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: 'abcd' };

describe('SAMA push daemon queue (Bull 4 and BullMQ 5 layout in Redis)', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(() => redis.stop());

  it('adds one job per push with the daemon\'s data, the hash fields and options both libraries read, FIFO wait list, marker, events and waiting notice', async () => {
    const queue = `q${newId()}`;
    const sender = new SamaQueueSender({ redisUrl: redis.url, queueName: queue, timeoutMs: 2000, attempts: 4, backoffMs: 1000, onError: () => undefined });
    const r = redis.client();
    const sub = redis.client();
    const notices: [string, string][] = [];
    await sub.psubscribe(`bull:${queue}:waiting@*`);
    sub.on('pmessage', (_p: string, channel: string, message: string) => notices.push([channel, message]));
    try {
      const payload = JSON.stringify({ title: 'alice', body: 'hey', cid: 'c1' });
      assert.deepEqual(await sender.send([web, ios], payload), [{ kind: 'sent' }, { kind: 'sent' }]);
      assert.equal(await r.get(`bull:${queue}:id`), '1');
      assert.deepEqual(await r.lrange(`bull:${queue}:wait`, 0, -1), ['1']);
      const job = await r.hgetall(`bull:${queue}:1`);
      assert.deepEqual(Object.keys(job).sort(), ['data', 'delay', 'name', 'opts', 'priority', 'timestamp']);
      assert.equal(job.name, '__default__');
      assert.equal(job.delay, '0');
      assert.equal(job.priority, '0');
      const opts = JSON.parse(job.opts!);
      assert.deepEqual(opts, { attempts: 4, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: true, delay: 0, timestamp: Number(job.timestamp) });
      assert.deepEqual(await r.zrange(`bull:${queue}:marker`, '0', '-1', 'WITHSCORES'), ['0', '0'], 'BullMQ\'s base marker wakes a blocked worker');
      const events = (await r.xrange(`bull:${queue}:events`, '-', '+')).map(([, f]) => f);
      assert.deepEqual(events, [['event', 'added', 'jobId', '1', 'name', '__default__'], ['event', 'waiting', 'jobId', '1']]);
      const data = JSON.parse(job.data!);
      assert.equal(Buffer.from(data.message, 'base64').toString(), payload);
      assert.deepEqual(data.devices, [
        { _id: web._id, organization_id: web.organization_id, user_id: web.user_id, platform: 'web', web_endpoint: 'https://push.example/x', web_key_auth: 'auth', web_key_p256dh: 'p256', device_udid: 'tab', created_at: '2023-11-14T22:13:20.000Z', updated_at: '2023-11-14T22:13:20.500Z' },
        { _id: ios._id, organization_id: ios.organization_id, user_id: ios.user_id, platform: 'ios', device_udid: 'phone', device_token: 'abcd', created_at: '2023-11-14T22:13:20.000Z', updated_at: '2023-11-14T22:13:20.500Z' },
      ]);
      await sender.send([ios], '{"title":"second"}');
      assert.deepEqual(await r.lrange(`bull:${queue}:wait`, 0, -1), ['2', '1'], 'newest at the head: consumers pop the tail');
      const deadline = Date.now() + 2000;
      while (notices.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      assert.equal(notices.length, 2);
      assert.match(notices[0]![0], new RegExp(`^bull:${queue}:waiting@[0-9a-f-]{36}$`));
      assert.deepEqual(notices.map((n) => n[1]), ['1', '2']);
      await r.del(`bull:${queue}:marker`);
      await r.set(`bull:${queue}:meta-paused`, '1');
      await sender.send([web], '{"title":"while paused (Bull 4)"}');
      await r.del(`bull:${queue}:meta-paused`);
      await r.hset(`bull:${queue}:meta`, 'paused', '1');
      await sender.send([web], '{"title":"while paused (BullMQ)"}');
      assert.deepEqual(await r.lrange(`bull:${queue}:paused`, 0, -1), ['4', '3']);
      assert.deepEqual(await r.lrange(`bull:${queue}:wait`, 0, -1), ['2', '1']);
      assert.equal(await r.exists(`bull:${queue}:marker`), 0, 'no marker while paused');
      // BullMQ's global concurrency: at the limit, the job waits without waking a worker
      await r.hdel(`bull:${queue}:meta`, 'paused');
      await r.hset(`bull:${queue}:meta`, 'concurrency', '1');
      await r.lpush(`bull:${queue}:active`, '2');
      await sender.send([web], '{"title":"at the concurrency limit"}');
      assert.deepEqual(await r.lrange(`bull:${queue}:wait`, 0, -1), ['5', '2', '1']);
      assert.equal(await r.exists(`bull:${queue}:marker`), 0, 'no marker at the concurrency limit');
    } finally {
      await sender.close();
      r.disconnect();
      sub.disconnect();
    }
  });

  it('refuses fewer than one attempt per job', () => {
    for (const attempts of [0, 1.5]) assert.throws(() => new SamaQueueSender({ redisUrl: redis.url, queueName: 'q', timeoutMs: 300, attempts, backoffMs: 1000, onError: () => undefined }), RangeError);
  });

  it('reports a retry when Redis cannot be reached', async () => {
    const errors: Error[] = [];
    const sender = new SamaQueueSender({ redisUrl: `redis://127.0.0.1:${await freePort()}`, queueName: 'nowhere', timeoutMs: 300, attempts: 1, backoffMs: 1000, onError: (e) => errors.push(e) });
    try {
      const out = await sender.send([web], '{}');
      assert.equal(out[0]?.kind, 'retry');
    } finally {
      await sender.close();
    }
  });
});
