import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { keysContaining, QueueConsumer } from '../helpers/queue-consumers.js';
import { TestRedis } from '../helpers/redis.js';
import { TestServer } from '../helpers/server.js';

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping SAMA push queue end-to-end test: ${skip}`);

describe('PUSH_DRIVER=sama-queue', { skip: skip ?? false }, () => {
  let redis: TestRedis | undefined;
  let server: TestServer;
  let daemon: QueueConsumer | undefined;
  const jobs: any[] = [];
  before(async () => {
    redis = await TestRedis.start();
    // On PostgreSQL (the --postgres pass) REDIS_URL also makes the node a cluster node, which
    // needs the shared secrets set.
    server = await TestServer.start({ PUSH_DRIVER: 'sama-queue', REDIS_URL: redis.url, SAMA_NATIVE_PUSH_QUEUE_NAME: 'parley_e2e', PUSH_POLL_INTERVAL_MS: '20', JWT_ACCESS_SECRET: 'queue-jwt', COOKIE_SECRET: 'queue-cookie', FILE_URL_SECRET: 'queue-file' });
    // SAMA's daemon 0.3.0 is a BullMQ 5 worker with default settings on this queue.
    daemon = await QueueConsumer.start('bullmq', redis.url, 'parley_e2e', (data) => void jobs.push(data));
  });
  after(async () => {
    try {
      await daemon?.close();
      await server?.stop();
    } finally {
      await redis?.stop();
    }
  });

  it('hands a message for an offline subscriber to the daemon, which takes it and leaves no secret behind', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const auth = randomBytes(16).toString('base64url');
    const p256dh = createECDH('prime256v1');
    p256dh.generateKeys();
    const cw = await server.loggedIn(b, 'browser');
    await cw.request('push_subscription_create', { platform: 'web', device_udid: 'browser', web_endpoint: 'https://push.example/b', web_key_p256dh: p256dh.getPublicKey().toString('base64url'), web_key_auth: auth });
    await cw.close();
    const cb = await server.loggedIn(b, 'phone');
    await cb.request('push_subscription_create', { platform: 'android', device_udid: 'phone', device_token: 'fcm-token-b' });
    await cb.close();
    const ca = await server.loggedIn(a);
    assert.ok(redis && daemon);
    const r = redis.client();
    try {
      // a private chat: its creation is not pushed, so the message is the only job
      const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
      await ca.request('message', { id: 'q1', cid, body: 'to the daemon' });
      assert.deepEqual((await daemon.waitFinished(1, 5000)).map((f) => f.state), ['completed']);
      assert.equal(jobs.length, 1);
      const devices = jobs[0].devices.map((d: any) => [d.user_id, d.platform, d.device_token ?? d.web_key_auth]).sort();
      assert.deepEqual(devices, [[b._id, 'android', 'fcm-token-b'], [b._id, 'web', auth]]);
      assert.deepEqual(JSON.parse(Buffer.from(jobs[0].message, 'base64').toString()), { title: a.login, is_encrypted: false, body: 'to the daemon', firstAttachmentUrl: null, cid });
      assert.deepEqual(await keysContaining(r, auth), [], 'the completed job is gone from Redis');
    } finally {
      r.disconnect();
      await ca.close();
    }
  });
});
