import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MessagePlace } from '../domain/delivery.js';
import { ConversationOrder, type FilledMessage } from './conversation-order.js';

const log = pino({ level: 'silent' });
const T = 1_800_000_000_000;

/** A chain of message places in one conversation, ids in order, made `gapMs` apart. */
function chain(n: number, gapMs = 10, cid = 'c1'): MessagePlace[] {
  const out: MessagePlace[] = [];
  for (let i = 0; i < n; i++) {
    const prev = out[i - 1];
    out.push({ orgId: 'o', cid, id: `m${String(i).padStart(3, '0')}`, prev: prev?.id ?? null, prevAt: prev?.at ?? null, at: T + i * gapMs });
  }
  return out;
}

/** An order whose store holds `stored`; records what was handed over, and the store reads. */
function harness(stored: readonly MessagePlace[], gapWaitMs = 20) {
  const handed: string[] = [];
  const reads: [string | null, string | null][] = [];
  const order = new ConversationOrder({ gapWaitMs, settleMs: 2000, idleMs: 60_000 }, (_org, cid, after, before) => {
    reads.push([after, before]);
    const found: FilledMessage[] = stored.filter((m) => m.cid === cid && (after === null || m.id > after) && (before === null || m.id < before)).map((m) => ({ id: m.id, release: () => handed.push(`${m.id}*`) }));
    return Promise.resolve(found);
  }, log);
  const offer = (p: MessagePlace, boundSince?: number): void => order.offer(p, () => handed.push(p.id), () => boundSince, p.at);
  return { order, handed, reads, offer };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ConversationOrder', () => {
  it('hands messages over in chain order whatever order they arrive in', () => {
    const m = chain(5);
    const h = harness(m);
    for (const i of [0, 2, 1, 4, 3]) h.offer(m[i]!);
    assert.deepEqual(h.handed, ['m000', 'm001', 'm002', 'm003', 'm004']);
    assert.equal(h.reads.length, 0);
    h.order.close();
  });

  it('never hands a message over twice', () => {
    const m = chain(3);
    const h = harness(m);
    for (const i of [0, 1, 1, 0, 2, 2]) h.offer(m[i]!);
    assert.deepEqual(h.handed, ['m000', 'm001', 'm002']);
    h.order.close();
  });

  it('reads a predecessor the bus lost from the store, then goes on in order', async () => {
    const m = chain(4);
    const h = harness(m);
    h.offer(m[0]!);
    h.offer(m[2]!);
    h.offer(m[3]!);
    assert.deepEqual(h.handed, ['m000']);
    await tick(60);
    assert.deepEqual(h.handed, ['m000', 'm001*', 'm002', 'm003']);
    assert.deepEqual(h.reads, [['m000', 'm002']]);
    // The lost one arriving late is not handed over again.
    h.offer(m[1]!);
    assert.equal(h.handed.length, 4);
    h.order.close();
  });

  it('goes on when the store has no predecessor (deleted for everyone)', async () => {
    const m = chain(3);
    const h = harness([m[0]!, m[2]!]);
    h.offer(m[0]!);
    h.offer(m[2]!);
    await tick(60);
    assert.deepEqual(h.handed, ['m000', 'm002']);
    h.order.close();
  });

  it('with nothing known, hands over at once when the predecessor is old, and waits when it is recent', () => {
    const old = chain(2, 5_000);
    const h = harness(old);
    h.offer(old[1]!);
    assert.deepEqual(h.handed, ['m001']);
    const recent = chain(2, 10, 'c2');
    const h2 = harness(recent);
    h2.offer(recent[1]!);
    assert.deepEqual(h2.handed, []);
    h2.offer(recent[0]!);
    assert.deepEqual(h2.handed, ['m000', 'm001']);
    h.order.close();
    h2.order.close();
  });

  it('does not wait for a predecessor made before its sockets here were connected', () => {
    const m = chain(2, 10);
    const h = harness(m);
    h.offer(m[1]!, T + 10_000);
    assert.deepEqual(h.handed, ['m001']);
    h.order.close();
  });

  it('after a bus outage, reads every known conversation past its last message', async () => {
    const m = chain(4);
    const h = harness(m);
    h.offer(m[0]!);
    h.offer(m[1]!);
    h.order.recovered(T);
    h.order.recovered(T + 5);
    await tick(150);
    assert.deepEqual(h.handed, ['m000', 'm001', 'm002*', 'm003*']);
    assert.deepEqual(h.reads, [['m001', null]]);
    h.order.close();
  });

  it('forgets quiet conversations but keeps those with messages waiting', () => {
    const a = chain(1, 10, 'a');
    const b = chain(3, 10, 'b');
    const h = harness([]);
    h.offer(a[0]!);
    h.offer(b[2]!);
    assert.equal(h.order.size, 2);
    h.order.sweep(T + 120_000);
    assert.equal(h.order.size, 1);
    h.order.close();
  });
});
