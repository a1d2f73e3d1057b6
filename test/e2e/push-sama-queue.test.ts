import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestRedis } from '../helpers/redis.js';
import { TestServer } from '../helpers/server.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping SAMA push queue end-to-end test: ${skip}`);

describe('PUSH_DRIVER=sama-queue', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  let server: TestServer;
  before(async () => {
    redis = await TestRedis.start();
    server = await TestServer.start({ PUSH_DRIVER: 'sama-queue', REDIS_URL: redis.url, SAMA_NATIVE_PUSH_QUEUE_NAME: 'parley_e2e', PUSH_POLL_INTERVAL_MS: '20' });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('queues a job for SAMA\'s push daemon when an offline subscriber gets a message', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cb = await server.loggedIn(b, 'phone');
    await cb.request('push_subscription_create', { platform: 'android', device_udid: 'phone', device_token: 'fcm-token-b' });
    await cb.close();
    const ca = await server.loggedIn(a);
    // a private chat: its creation is not pushed, so the message is the only job
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    await ca.request('message', { id: 'q1', cid, body: 'to the daemon' });
    const r = redis.client();
    try {
      const until = Date.now() + 5000;
      let wait: string[] = [];
      while (wait.length === 0 && Date.now() < until) {
        wait = await r.lrange('bull:parley_e2e:wait', 0, -1);
        if (wait.length === 0) await new Promise((res) => setTimeout(res, 20));
      }
      assert.equal(wait.length, 1);
      const data = JSON.parse((await r.hget(`bull:parley_e2e:${wait[0]}`, 'data'))!);
      assert.deepEqual(data.devices.map((d: any) => [d.user_id, d.platform, d.device_token]), [[b._id, 'android', 'fcm-token-b']]);
      assert.deepEqual(JSON.parse(Buffer.from(data.message, 'base64').toString()), { title: a.login, is_encrypted: false, body: 'to the daemon', firstAttachmentUrl: null, cid });
    } finally {
      r.disconnect();
      await ca.close();
    }
  });
});
