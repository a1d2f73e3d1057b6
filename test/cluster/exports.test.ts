import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster export tests: ${skip}`);

describe('two nodes building export jobs', { skip: skip ?? false }, () => {
  let cluster: TestCluster | undefined;
  // One data directory for both nodes: their local file storage is shared, as on one host.
  const shared = mkdtempSync(join(tmpdir(), 'parley-cluster-exports-'));
  before(async () => {
    cluster = await TestCluster.start(2, { DATA_DIR: shared, DATA_EXPORT_POLL_INTERVAL_MS: '50', DATA_EXPORT_MIN_INTERVAL: '0' });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(shared, { recursive: true, force: true });
  });

  it('builds each job once, on one node, and tells the user once on every device', async () => {
    if (!cluster) throw new Error('the cluster did not start');
    const [n1, n2] = [cluster.node(0), cluster.node(1)];
    const org = await n1.createOrg();
    const user = await n1.createUser(org);
    const [c1, c2] = [await n1.loggedIn(user, 'one'), await n2.loggedIn(user, 'two')];
    const jobs: string[] = [];
    for (let i = 0; i < 6; i++) jobs.push(((await (i % 2 === 0 ? c1 : c2).request('parley_data_export', {})).export as Frame)._id as string);
    const heard = async (c: typeof c1): Promise<string[]> => {
      const ids: string[] = [];
      while (ids.length < jobs.length) ids.push((await c.next((f) => f.parley_data_export_ready !== undefined, 10_000)).parley_data_export_ready.export._id as string);
      await sleep(400);
      const extra = await c.next((f) => f.parley_data_export_ready !== undefined, 50).catch(() => undefined);
      if (extra) ids.push(extra.parley_data_export_ready.export._id as string);
      return ids.sort();
    };
    const [one, two] = await Promise.all([heard(c1), heard(c2)]);
    assert.deepEqual(one, [...jobs].sort());
    assert.deepEqual(two, [...jobs].sort());
    for (const id of jobs) {
      const job = (await c2.request('parley_data_export_status', { id })).export as Frame;
      assert.equal(job.status, 'ready');
      assert.equal((await fetch(job.url as string)).status, 200);
    }
    await Promise.all([c1.close(), c2.close()]);
  });
});
