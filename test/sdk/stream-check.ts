import assert from 'node:assert/strict';
import type { Ask, ClientState, ParleyClient } from '../../packages/client/src/index.js';

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

/** What watchPair records of a sender and a recipient streaming through failures. */
export interface PairWatch {
  /** The recipient's errors, catch-ups and state changes, for the report of a failed run. */
  readonly trace: string[];
  /** How often each client resumed its session (ready again after authenticating). */
  readonly resumed: { sender: number; recipient: number };
}

export function watchPair(sender: ParleyClient, recipient: ParleyClient): PairWatch {
  const watch: PairWatch = { trace: [], resumed: { sender: 0, recipient: 0 } };
  recipient.on('error', (e) => watch.trace.push(`error ${e.name} ${e.message}`));
  recipient.on('catchup', (c) => watch.trace.push(`catchup ${JSON.stringify(c)}`));
  recipient.on('state', (st) => watch.trace.push(`state ${st} ${String(Date.now())}`));
  const counting = (who: keyof PairWatch['resumed']) => (s: ClientState, prev: ClientState) => {
    if (s === 'ready' && prev === 'authenticating') watch.resumed[who]++;
  };
  sender.on('state', counting('sender'));
  recipient.on('state', counting('recipient'));
  return watch;
}

/**
 * The end of a stream through failures: waits (30 s at most) until the recipient holds all `n`
 * messages — failing with the trace and the missing acknowledgements otherwise — lets late
 * duplicates arrive for 300 ms, then checks exactly-once against what `message_list` stores.
 */
export async function finishAndCheck(sender: ParleyClient, cid: string, n: number, prefix: string, acks: readonly Ask[], got: Received, watch: PairWatch): Promise<void> {
  await eventually(() => got.counts.size >= n, 30_000, `the recipient to hold all ${String(n)} messages (has ${String(got.counts.size)})`).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${watch.trace.join('\n')}\nmissing: ${JSON.stringify(acks.filter((a) => !got.counts.has(a.server_mid)).map((a) => [a.mid, a.server_mid, a.t]))}`);
  });
  await new Promise((r) => setTimeout(r, 300));
  const stored = (await sender.request('message_list', { cid, updated_at: { gt: 0 }, limit: 1000 })).messages;
  checkExactlyOnce(n, prefix, acks, stored, got);
}
