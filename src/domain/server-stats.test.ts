import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ServerStats, formatUptime } from './server-stats.js';
import { MemoryStatsStore, type StatsStore } from './stats-store.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 4, 16, 9, 59, 30); // 30 s before an hour ends
const MIN = 60_000;

function stats(store: StatsStore = new MemoryStatsStore(), startedAt = T0): ServerStats {
  return new ServerStats(store, { connections: () => 4, onlineUsers: () => 3 }, { nodeId: 'n1', startedAt, flushMs: 1000, nodeTtlMs: 5000 }, log);
}

describe('server stats', () => {
  it("reports the previous complete minute and hour, each only once counting covered it", async () => {
    const s = stats();
    // Counting starts with the first write.
    await s.report(T0, false);
    for (const kind of ['message', 'message', 'message_edit', 'typing', 'message_list', 'system_message']) s.handled(kind, T0 + 1000);
    let r = await s.report(T0 + 10_000, false);
    assert.deepEqual(r, { uptime: 10, online_users: 3, connections: 4, nodes: 1, node_id: 'n1' }, 'no period has elapsed');
    r = await s.report(T0 + MIN, false); // 10:00:30 — the minute 09:59 is complete, but counting began half-way through it
    assert.equal(r.messages_per_minute, undefined);
    s.handled('message_reactions_update', T0 + 40_000); // 10:00:10
    r = await s.report(T0 + 2 * MIN, false); // 10:01:30
    assert.equal(r.messages_per_minute, 1, 'the minute 10:00 held one counted packet');
    assert.equal(r.messages_per_hour, undefined, 'the hour 09:00 was not covered');
    r = await s.report(T0 + 61 * MIN, false); // 11:00:30
    assert.equal(r.messages_per_hour, 1, 'hour 10:00');
    assert.equal(r.messages_per_minute, 0);
    assert.equal(r.messages_per_day, undefined);
    assert.equal(r.uptime, 3660);
    assert.equal((await s.report(T0 + 61 * MIN, true)).uptime, '1h 1m 0s');
    await s.close();
  });

  it('keeps counts through a failed write and sends them with the next', async () => {
    const inner = new MemoryStatsStore();
    let fail = true;
    const flaky: StatsStore = {
      record: (c, now) => (fail ? Promise.reject(new Error('redis down')) : inner.record(c, now)),
      totals: (m, h, d) => inner.totals(m, h, d),
      publishNode: (f, ttl, now) => inner.publishNode(f, ttl, now),
      removeNode: (id) => inner.removeNode(id),
      nodes: (now) => inner.nodes(now),
    };
    const s = stats(flaky, T0 - 5 * MIN);
    await inner.record(new Map(), T0 - 5 * MIN);
    s.handled('message', T0);
    await assert.rejects(s.report(T0 + 1000, false), /redis down/);
    s.handled('message', T0 + 2000);
    fail = false;
    assert.equal((await s.report(T0 + MIN, false)).messages_per_minute, 2);
  });

  it('formats uptime as SAMA does', () => {
    assert.equal(formatUptime(0), '0s');
    assert.equal(formatUptime(59), '59s');
    assert.equal(formatUptime(7503), '2h 5m 3s');
    assert.equal(formatUptime(3600), '1h 0m 0s');
    assert.equal(formatUptime(90061), '1d 1h 1m 1s');
  });
});
