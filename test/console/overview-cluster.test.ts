import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { ADMIN_KEY, type TestServer } from '../helpers/server.js';

// The console's live overview in a cluster: one row per node, Redis health, and figures that
// cover every node (GET /admin/overview; the page itself is tested in browser.test.ts).

const skip = clusterUnavailable();
if (skip) console.log(`# skipping the clustered overview test: ${skip}`);

interface Overview {
  node_id: string;
  online_users: number;
  connections: number;
  nodes: { node_id: string; connections: number }[];
  health: { store: { status: string }; redis: { status: string } };
}

async function overview(node: TestServer): Promise<Overview> {
  const res = await fetch(`${node.httpUrl}/admin/overview`, { headers: { 'admin-api-key': ADMIN_KEY } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Overview;
}

describe('console overview across three nodes', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(3);
  });
  after(() => cluster?.stop());

  it('lists every node with its connections, and Redis as healthy', async () => {
    const orgId = await cluster.node(0).createOrg();
    const users = await Promise.all([0, 1, 2].map((i) => cluster.node(i).createUser(orgId)));
    const sockets = await Promise.all(users.map((u, i) => cluster.node(i).loggedIn(u)));
    try {
      const deadline = Date.now() + 5000;
      let o = await overview(cluster.node(1));
      while (!(o.nodes.length === 3 && o.nodes.every((n) => n.connections >= 1) && o.online_users >= 3) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        o = await overview(cluster.node(1));
      }
      assert.equal(o.node_id, 'n2');
      assert.deepEqual(o.nodes.map((n) => n.node_id).sort(), ['n1', 'n2', 'n3']);
      assert.ok(o.nodes.every((n) => n.connections >= 1), JSON.stringify(o.nodes));
      assert.ok(o.online_users >= 3);
      assert.equal(o.health.redis.status, 'ok');
      assert.equal(o.health.store.status, 'ok');
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
  });
});
