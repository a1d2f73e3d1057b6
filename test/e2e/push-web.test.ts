import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import webpush from 'web-push';
import { FakeWebPush } from '../helpers/fake-web-push.js';
import { TestServer, type TestUser } from '../helpers/server.js';
import { opensslUnavailable, selfSignedCert, type TestCert } from '../helpers/tls.js';

const skip = opensslUnavailable();
if (skip) console.log(`# skipping Web Push delivery tests: ${skip}`);

/** Polls `check` until it returns true; fails after `timeoutMs`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Web Push delivery', { skip: skip ?? false }, () => {
  let cert: TestCert;
  let fake: FakeWebPush;
  let env: Record<string, string>;
  let server: TestServer;
  before(async () => {
    cert = selfSignedCert();
    const vapid = webpush.generateVAPIDKeys();
    fake = await FakeWebPush.start(cert, vapid.publicKey);
    env = { WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@parley.test', PUSH_CA_FILE: cert.caFile, PUSH_POLL_INTERVAL_MS: '20', PUSH_RETRY_BASE_MS: '100' };
    server = await TestServer.start(env);
  });
  after(async () => {
    await server.stop();
    await fake.close();
    cert.remove();
  });

  /** Two users of a new organization with a private chat; `b` subscribed for Web Push and offline. */
  async function pair(): Promise<{ a: TestUser; b: TestUser; cid: string; endpoint: string; send: (body: string) => Promise<void> }> {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cb = await server.loggedIn(b, 'browser');
    const sub = fake.subscribe();
    assert.ok((await cb.request('push_subscription_create', { platform: 'web', device_udid: 'browser', ...sub })).subscription);
    await cb.close();
    const ca = await server.loggedIn(a);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    let n = 0;
    const send = async (body: string) => {
      n += 1;
      const ack = await ca.request('message', { id: `m${n}`, cid, body });
      assert.ok(ack.ask?.server_mid, JSON.stringify(ack));
    };
    return { a, b, cid, endpoint: sub.web_endpoint, send };
  }

  const to = (endpoint: string) => fake.received.filter((p) => endpoint.endsWith(p.path));

  it('pushes a message to an offline recipient with the SAMA payload, and not once they are online', async () => {
    const { a, b, cid, endpoint, send } = await pair();
    await send('hello offline');
    await eventually('push received', () => to(endpoint).length === 1);
    const [push] = to(endpoint);
    assert.deepEqual(JSON.parse(push!.payload), { title: a.login, is_encrypted: false, body: 'hello offline', firstAttachmentUrl: null, cid });
    assert.equal(push!.claims.sub, 'mailto:ops@parley.test');
    assert.equal(push!.headers.urgency, 'high');
    await eventually('outbox drained', async () => (await server.node.store.pushOutbox.count()) === 0);
    const cb = await server.loggedIn(b, 'browser');
    await send('hello online');
    assert.equal((await cb.next((f) => f.message?.body === 'hello online')).message.cid, cid);
    await sleep(200);
    assert.equal(to(endpoint).length, 1, 'an online recipient gets no push');
    await cb.close();
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /parley_push_sent_total\{platform="web",result="sent"\} [1-9]/);
    assert.match(metrics, /parley_push_outbox_pending 0/);
  });

  it("accepts browser keys in standard base64, as SAMA's web client sends them, stores base64url and delivers with them", async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cb = await server.loggedIn(b, 'browser');
    const sub = fake.subscribe();
    const standard = (k: string) => Buffer.from(k, 'base64url').toString('base64');
    const keys = { web_key_auth: standard(sub.web_key_auth), web_key_p256dh: standard(sub.web_key_p256dh) };
    assert.match(keys.web_key_auth + keys.web_key_p256dh, /[+/=]/, 'the keys exercise the standard alphabet or padding');
    const created = await cb.request('push_subscription_create', { platform: 'web', device_udid: 'browser', web_endpoint: sub.web_endpoint, ...keys });
    assert.equal(created.subscription.web_key_auth, sub.web_key_auth);
    assert.equal(created.subscription.web_key_p256dh, sub.web_key_p256dh);
    await cb.close();
    const ca = await server.loggedIn(a);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    assert.ok((await ca.request('message', { id: 'std64', cid, body: 'keys in base64' })).ask?.server_mid);
    await eventually('push received', () => to(sub.web_endpoint).length === 1);
    assert.equal(JSON.parse(to(sub.web_endpoint)[0]!.payload).body, 'keys in base64');
    await ca.close();
  });

  it('pushes conversation events and participant messages to offline participants, never to the actor', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const subscribe = async (u: TestUser): Promise<string> => {
      const cl = await server.loggedIn(u, 'browser');
      const sub = fake.subscribe();
      assert.ok((await cl.request('push_subscription_create', { platform: 'web', device_udid: 'browser', ...sub })).subscription);
      await cl.close();
      return sub.web_endpoint;
    };
    const [eb, ec] = [await subscribe(b), await subscribe(c)];
    const ca = await server.loggedIn(a);
    await ca.request('user_edit', { first_name: 'Ann' });
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'Trip', participants: [b._id] })).conversation._id as string;
    await eventually('creation pushed', () => to(eb).length === 1);
    assert.deepEqual(JSON.parse(to(eb)[0]!.payload), { title: 'Trip', body: 'Ann created a new conversation', cid });
    assert.ok((await ca.request('conversation_update', { id: cid, participants: { add: [c._id] } })).conversation);
    // c hears it was added; b (already a member) gets the participant message
    await eventually('added pushed', () => to(ec).length === 1 && to(eb).length === 2);
    assert.deepEqual(JSON.parse(to(ec)[0]!.payload), { title: 'Trip', body: 'Ann added you to conversation', cid });
    const sentence = JSON.parse(to(eb)[1]!.payload);
    assert.equal(sentence.title, `${a.login} | Trip`);
    assert.match(sentence.body, /has been added to the conversation$/);
    await sleep(200);
    assert.equal(to(ec).length, 1, 'the added user gets one push, not also the participant message');
    await ca.close();
  });

  it('retries a 503 with back-off and delivers exactly once', async () => {
    const { endpoint, send } = await pair();
    fake.replies.push(503);
    await send('after a hiccup');
    await eventually('retried push received', () => to(endpoint).length === 1);
    await sleep(300);
    assert.deepEqual(to(endpoint).map((p) => JSON.parse(p.payload).body), ['after a hiccup']);
    assert.match(await (await fetch(`${server.httpUrl}/metrics`)).text(), /parley_push_sent_total\{platform="web",result="retry"\} [1-9]/);
  });

  it('deletes a subscription the push service reports gone (410)', async () => {
    const { b, endpoint, send } = await pair();
    fake.replies.push(410);
    await send('to nowhere');
    await eventually('subscription deleted', async () => (await server.node.store.pushSubscriptions.forUser(b.orgId, b._id)).length === 0);
    await eventually('outbox drained', async () => (await server.node.store.pushOutbox.count()) === 0);
    assert.equal(to(endpoint).length, 0);
  });

  it('removes pushes for recipients without subscriptions, and counts them', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    assert.ok((await ca.request('push_event_create', { recipients_ids: [b._id], message: { title: 'nobody home' } })).event);
    await eventually('outbox drained', async () => (await server.node.store.pushOutbox.count()) === 0);
    assert.match(await (await fetch(`${server.httpUrl}/metrics`)).text(), /parley_push_sent_total\{platform="none",result="no_subscription"\} [1-9]/);
    await ca.close();
  });

  it('delivers push_event_create to every subscription of the recipients, online or not', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const cb = await server.loggedIn(b, 'tab');
    const sub = fake.subscribe();
    await cb.request('push_subscription_create', { platform: 'web', device_udid: 'tab', ...sub });
    const ca = await server.loggedIn(a);
    await ca.request('push_event_create', { recipients_ids: [b._id], message: { title: 'News', body: 'read me', topic: 't' } });
    await eventually('event push received', () => to(sub.web_endpoint).length === 1);
    assert.deepEqual(JSON.parse(to(sub.web_endpoint)[0]!.payload), { title: 'News', body: 'read me', topic: 't' });
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('Web Push across restarts', { skip: skip ?? false }, () => {
  it('keeps pushes in the outbox without a sender, sends them after a restart with one, and never twice', async () => {
    const cert = selfSignedCert();
    const vapid = webpush.generateVAPIDKeys();
    const fake = await FakeWebPush.start(cert, vapid.publicKey);
    const server = await TestServer.start({ PUSH_POLL_INTERVAL_MS: '20' });
    try {
      const org = await server.createOrg();
      const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
      const cb = await server.loggedIn(b, 'browser');
      const sub = fake.subscribe();
      await cb.request('push_subscription_create', { platform: 'web', device_udid: 'browser', ...sub });
      await cb.close();
      const ca = await server.loggedIn(a);
      const cid = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
      await ca.request('message', { id: 'one', cid, body: 'while no sender' });
      await ca.close();
      await sleep(100);
      assert.equal(await server.node.store.pushOutbox.count(), 1, 'no sender: the push waits');
      assert.match(await (await fetch(`${server.httpUrl}/metrics`)).text(), /parley_push_outbox_pending 1/);
      const withSender = { WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEB_PUSH_VAPID_SUBJECT: 'https://parley.test/contact', PUSH_CA_FILE: cert.caFile, PUSH_POLL_INTERVAL_MS: '20' };
      await server.restart(withSender);
      await fake.waitFor(1);
      await eventually('outbox drained', async () => (await server.node.store.pushOutbox.count()) === 0);
      await server.restart(withSender);
      await sleep(300);
      assert.equal(fake.received.length, 1, 'the push is not sent again after a restart');
      assert.equal(JSON.parse(fake.received[0]!.payload).body, 'while no sender');
    } finally {
      await server.stop();
      await fake.close();
      cert.remove();
    }
  });
});
