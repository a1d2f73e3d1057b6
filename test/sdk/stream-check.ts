import assert from 'node:assert/strict';
import type { Ask, ParleyClient } from '../../packages/client/src/index.js';

/** What a receiving client got, by message id. */
export interface Received {
  readonly counts: Map<string, number>;
  live: number;
  catchup: number;
}

/** Counts every `message` event of `client` in conversation `cid`, live and from the catch-up. */
export function receive(client: ParleyClient, cid: string): Received {
  const r: Received = { counts: new Map(), live: 0, catchup: 0 };
  client.on('message', (m, meta) => {
    if (m.cid !== cid) return;
    r.counts.set(m._id, (r.counts.get(m._id) ?? 0) + 1);
    if (meta.source === 'live') r.live++;
    else r.catchup++;
  });
  return r;
}

/**
 * Sends `n` messages (`body` = `<prefix> <i>`) in order without waiting for each acknowledgement,
 * a few per event-loop turn, while `disturb` runs; resolves with the acknowledgements in order.
 */
export async function stream(client: ParleyClient, cid: string, n: number, prefix: string, pace: () => Promise<void>): Promise<Ask[]> {
  const acks: Promise<Ask>[] = [];
  for (let i = 0; i < n; i++) {
    acks.push(client.send({ cid, body: `${prefix} ${String(i)}` }));
    if (i % 5 === 4) await pace();
  }
  return Promise.all(acks);
}

/** Polls `test` every 50 ms until it holds or `ms` pass. */
export async function eventually(test: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The checks of a stream through connection failures: every message acknowledged once with a
 * distinct server id, stored exactly once (`stored`: the conversation's messages as listed),
 * and received by the recipient exactly once each.
 */
export function checkExactlyOnce(n: number, prefix: string, acks: readonly Ask[], stored: readonly { _id: string; body?: string }[], received: Received): void {
  const ids = acks.map((a) => a.server_mid);
  assert.equal(new Set(ids).size, n, 'every message acknowledged with its own server id');
  const mine = stored.filter((m) => m.body?.startsWith(`${prefix} `));
  assert.equal(mine.length, n, `stored ${String(mine.length)} messages for ${String(n)} sent`);
  assert.deepEqual(new Set(mine.map((m) => m.body)).size, n, 'no body stored twice');
  assert.deepEqual(new Set(mine.map((m) => m._id)), new Set(ids), 'the stored messages are the acknowledged ones');
  const missing = ids.filter((id) => !received.counts.has(id));
  assert.deepEqual(missing, [], `${String(missing.length)} messages never reached the recipient`);
  const twice = [...received.counts].filter(([, c]) => c > 1);
  assert.deepEqual(twice, [], 'messages handed to the recipient twice');
  assert.equal(received.counts.size, n);
}
