import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import webpush from 'web-push';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { FakeWebPush } from '../helpers/fake-web-push.js';
import type { TestServer, TestUser } from '../helpers/server.js';
import { opensslUnavailable, selfSignedCert, type TestCert } from '../helpers/tls.js';

const skip = clusterUnavailable() ?? opensslUnavailable();
if (skip) console.log(`# skipping cluster push tests: ${skip}`);

describe('three nodes draining one push outbox', { skip: skip ?? false }, () => {
  let cert: TestCert;
  let fake: FakeWebPush;
  let cluster: TestCluster;
  before(async () => {
    cert = selfSignedCert();
    const vapid = webpush.generateVAPIDKeys();
    fake = await FakeWebPush.start(cert, vapid.publicKey);
    cluster = await TestCluster.start(3, { WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@parley.test', PUSH_CA_FILE: cert.caFile, PUSH_POLL_INTERVAL_MS: '10', PUSH_BATCH_SIZE: '5' });
  });
  after(async () => {
    await cluster.stop();
    await fake.close();
    cert.remove();
  });

  it('sends each push exactly once, whichever node takes it', async () => {
    const [n1, n2, n3] = [cluster.node(0), cluster.node(1), cluster.node(2)];
    const org = await n1.createOrg();
    const sender = await n1.createUser(org);
    const offline = await Promise.all(Array.from({ length: 6 }, () => n2.createUser(org)));
    const endpoints: string[] = [];
    for (const [i, u] of offline.entries()) {
      const c = await [n1, n2, n3][i % 3]!.loggedIn(u, 'browser');
      const sub = fake.subscribe();
      endpoints.push(sub.web_endpoint);
      assert.ok((await c.request('push_subscription_create', { platform: 'web', device_udid: 'browser', ...sub })).subscription);
      await c.close();
    }
    // The sign-outs reach the other nodes over the bus; the pushes counted below are for users
    // every node already sees offline (the race with a late sign-out has its own test).
    await waitOffline([n1, n2, n3], sender, offline.map((u) => u._id));
    // Each node sends into its own group, so all three write outbox rows at the same time.
    const clients = await Promise.all([n1, n2, n3].map((n) => n.loggedIn(sender, `dev-${n.node.config.nodeId ?? ''}`)));
    const cids: string[] = [];
    for (const c of clients) cids.push((await c.request('conversation_create', { type: 'g', name: 'pushes', participants: offline.map((u) => u._id) })).conversation._id as string);
    const created = 3 * offline.length;
    await fake.waitFor(created, 15_000);
    const perRound = 10;
    for (let i = 0; i < perRound; i++) await Promise.all(clients.map((c, k) => c.request('message', { id: `p${String(i)}-${String(k)}`, cid: cids[k], body: `push ${String(i)}` })));
    const expected = created + perRound * 3 * offline.length;
    await fake.waitFor(expected, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(fake.received.length, expected, 'no push sent twice');
    const perEndpoint = new Map<string, number>();
    for (const p of fake.received) perEndpoint.set(p.path, (perEndpoint.get(p.path) ?? 0) + 1);
    for (const e of endpoints) assert.equal(perEndpoint.get(new URL(e).pathname), expected / offline.length);
    // Every node drained some of the outbox, and together they sent each push once.
    const sentBy = await Promise.all([n1, n2, n3].map(async (n) => {
      const m = /parley_push_sent_total\{platform="web",result="sent"\} (\d+)/.exec(await (await fetch(`${n.httpUrl}/metrics`)).text());
      return Number(m?.[1] ?? 0);
    }));
    assert.equal(sentBy.reduce((a, b) => a + b, 0), expected, JSON.stringify(sentBy));
    assert.ok(sentBy.filter((n) => n > 0).length >= 2, `pushes drained by one node only: ${JSON.stringify(sentBy)}`);
    for (const c of clients) await c.close();
  });
});

/** Waits until `online_list` on every node names none of `userIds` (asked as `watcher`). */
async function waitOffline(nodes: readonly TestServer[], watcher: TestUser, userIds: readonly string[]): Promise<void> {
  const clients = await Promise.all(nodes.map((n, i) => n.loggedIn(watcher, `online-check-${String(i)}`)));
  try {
    const deadline = Date.now() + 5_000;
    for (const c of clients) {
      for (;;) {
        const online = (await c.request('online_list', { idsOnly: true })).users as string[];
        if (!online.some((id) => userIds.includes(id))) break;
        assert.ok(Date.now() < deadline, `still online somewhere: ${JSON.stringify(online)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    for (const c of clients) await c.close();
  }
}
