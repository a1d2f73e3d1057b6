import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterUnavailable } from '../test/helpers/cluster.js';
import { clusterScenario, fitLine, type ClusterRun } from './cluster.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping the cluster scenario smoke test: ${skip}`);

describe('cluster scenario helpers', () => {
  it('fits fixed cost plus cost per message', () => {
    const line = fitLine([[100, 0.3], [200, 0.5], [400, 0.9]]);
    assert.ok(line && Math.abs(line.slope - 0.002) < 1e-9 && Math.abs(line.intercept - 0.1) < 1e-9, JSON.stringify(line));
    assert.equal(fitLine([[100, 0.3]]), null);
    assert.equal(fitLine([[100, 0.3], [100, 0.4]]), null);
  });
});

describe('cluster scenario (smoke: 1 and 2 nodes at a tiny rate; says nothing about speed)', { skip: skip ?? false }, () => {
  it('splits same-node and cross-node deliveries, counts every process, and stops them all', async () => {
    const lines: string[] = [];
    const result = await clusterScenario({
      nodeCounts: [1, 2],
      users: 16,
      groupSize: 4,
      workers: 1,
      rates: [40],
      stepSec: 1,
      warmupSec: 0,
      moderateRate: 20,
      durablePostgres: false,
      entry: 'source',
      serverEnv: { LOG_LEVEL: 'error' },
      log: (line) => lines.push(line),
    });
    const runs = result.runs as ClusterRun[];
    assert.deepEqual(runs.map((r) => r.nodes), [1, 2]);
    for (const run of runs) {
      assert.equal(run.idle.sent, 0);
      assert.equal(run.idle.delivered, 0);
      const steps = [run.moderate, ...run.steps].filter((s) => s !== null);
      assert.equal(steps.length, 2, `${run.nodes} node(s): the moderate step and one ramp step`);
      for (const s of steps) {
        assert.ok(s.sent > 0);
        assert.equal(s.errors, 0);
        assert.equal(s.acked, s.sent);
        assert.equal(s.delivered, s.sent * 3);
        assert.equal(s.deliverSameNode.count + s.deliverCrossNode.count, s.delivered);
        // In a group of 4 spread over 2 nodes, each message has two recipients on the other node.
        assert.equal(s.deliverCrossNode.count, run.nodes === 1 ? 0 : s.sent * 2);
        assert.equal(s.cpuCores.nodes.length, run.nodes);
        // Every message is inserted, so PostgreSQL ran at least one statement for each.
        assert.ok(s.postgresStatements.perMessage >= 1, `statements per message ${s.postgresStatements.perMessage}`);
        if (run.nodes === 2) assert.ok((s.redisCommandsPerMessage.publish ?? 0) > 0, JSON.stringify(s.redisCommandsPerMessage));
      }
      const cpu = steps.reduce((a, s) => a + s.cpuSecPer1000Messages.nodesTotal, 0);
      assert.ok(cpu > 0, 'node CPU was read');
      for (const pid of [...run.pids.nodes, run.pids.redis, run.pids.postgres]) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still running`);
    }
    assert.ok(lines.length >= 4);
  });
});
