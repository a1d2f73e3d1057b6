import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster retention tests: ${skip}`);

describe('two nodes sweeping expired messages', { skip: skip ?? false }, () => {
  let cluster: TestCluster | undefined;
  before(async () => {
    // Both nodes sweep every 100 ms in batches of 4, so their sweeps overlap again and again.
    cluster = await TestCluster.start(2, { RETENTION_SWEEP_INTERVAL_MS: '100', RETENTION_SWEEP_BATCH: '4' });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('deletes each message once and tells each participant once, on whichever node they are', async () => {
    if (!cluster) throw new Error('the cluster did not start');
    const [n1, n2] = [cluster.node(0), cluster.node(1)];
    const org = await n1.createOrg();
    const [ua, ub] = await Promise.all([n1.createUser(org), n1.createUser(org)]);
    const a = await n1.loggedIn(ua);
    const b = await n2.loggedIn(ub);
    const cid = (await a.request('conversation_create', { type: 'g', name: 'short-lived', participants: [ub._id] })).conversation._id as string;
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) sent.push((await a.request('message', { id: `c${String(i)}`, cid, body: `m${String(i)}` })).ask.server_mid as string);
    await a.request('parley_conversation_retention', { cid, seconds: 1 });
    const deleted = async (c: TestClient): Promise<string[]> => {
      const ids: string[] = [];
      while (ids.length < sent.length) ids.push(...((await c.next((f) => f.message_delete !== undefined, 10_000)).message_delete as Frame).ids);
      // Anything sent twice would arrive within a few sweeps more.
      await sleep(500);
      for (;;) {
        const extra = await c.next((f) => f.message_delete !== undefined, 50).catch(() => undefined);
        if (!extra) break;
        ids.push(...(extra.message_delete as Frame).ids);
      }
      return ids.sort();
    };
    const [seenByA, seenByB] = await Promise.all([deleted(a), deleted(b)]);
    assert.deepEqual(seenByA, [...sent].sort());
    assert.deepEqual(seenByB, [...sent].sort());
    assert.deepEqual((await b.request('message_list', { cid })).messages, []);
    await Promise.all([a.close(), b.close()]);
  });
});
