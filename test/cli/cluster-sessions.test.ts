import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterUnavailable, TestCluster } from '../helpers/cluster.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { freshEnv, runCli } from './helpers.js';

const skip = clusterUnavailable();

describe('admin CLI against a cluster', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let env: Record<string, string>;
  let cleanup: () => void;
  before(async () => {
    cluster = await TestCluster.start(2);
    // The CLI runs with the cluster's settings and asks node 1 only.
    ({ env, cleanup } = freshEnv({ ...cluster.env, HTTP_ADMIN_API_KEY: ADMIN_KEY }));
  });
  after(async () => {
    cleanup();
    await cluster.stop();
  });

  it('closes sockets held by another node, for one user and for a whole organization', async () => {
    const [n1, n2] = [cluster.node(0), cluster.node(1)];
    const org = await n1.createOrg();
    const [a, b] = [await n1.createUser(org), await n1.createUser(org)];
    const onN2 = await n2.loggedIn(a);
    const revoked = await runCli(['user', 'revoke-sessions', a._id, '--org', org, '--server', n1.httpUrl, '--json'], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.ok(revoked.json().sessions.ok);
    assert.deepEqual(await onN2.closed, { code: 4002, reason: 'sessions revoked' });

    const bOnN2 = await n2.loggedIn(b);
    // Closing a whole organization's sockets goes by node 1's view of who is online.
    for (;;) {
      const res = await fetch(`${n1.httpUrl}/admin/activity/online`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ organizationId: org, userId: b._id, count: true }) });
      if (((await res.json()) as { count: number }).count === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deleted = await runCli(['org', 'delete', org, '--yes', '--server', n1.httpUrl, '--json'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.json().sessions.users, 1);
    assert.deepEqual(await bOnN2.closed, { code: 4001, reason: 'user deleted' });
  });
});
