import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { newId } from './protocol/ids.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { ScheduledMessage, Store } from './store/store.js';
import { ScheduledDispatcher, type ScheduledSend, type ScheduledSendOutcome } from './domain/scheduled-dispatcher.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('scheduled-message dispatcher', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-sched-'));
    store = await openSqliteStore({ dataDir: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const opts = { owner: 'n1', batchSize: 2, pollIntervalMs: 60_000, leaseMs: 300, maxAttempts: 3, keepFinishedMs: 60_000 };

  async function schedule(org: string, id: string, sendAt: number): Promise<void> {
    const r = await store.scheduledMessages.insert({ _id: newId(), organization_id: org, from: 'author', cid: 'c', client_id: id, content: { id, cid: 'c', body: id }, send_at: sendAt, created_at: 0 }, 100);
    assert.equal(r.kind, 'created');
  }

  /** A send that answers by script and records the order of calls. */
  function scripted(calls: string[], answer: (row: ScheduledMessage) => ScheduledSendOutcome | Error): ScheduledSend {
    return (rows) => {
      calls.push(...rows.map((r) => r.client_id));
      return Promise.resolve(rows.map((row) => {
        const a = answer(row);
        return a instanceof Error ? { kind: 'retry', err: a } : a;
      }));
    };
  }

  it('sends what is due at start in send_at order, in batches; records refusals; retries a transient failure after the lease', async () => {
    const org = newId();
    const now = Date.now();
    for (const [id, at] of [['c', now - 1], ['a', now - 3], ['b', now - 2], ['later', now + 1200]] as const) await schedule(org, id, at);
    const calls: string[] = [];
    let failOnce = true;
    const d = new ScheduledDispatcher(store.scheduledMessages, scripted(calls, (row) => {
      if (row.client_id === 'b') return { kind: 'refused', error: 'Forbidden.' };
      if (row.client_id === 'c' && failOnce) {
        failOnce = false;
        return new Error('store unreachable');
      }
      return { kind: 'sent', serverMid: `mid-${row.client_id}` };
    }), opts, pino({ level: 'silent' }));
    d.start();
    await sleep(150);
    assert.deepEqual(calls, ['a', 'b', 'c']);
    // 'c' comes back when its lease ends; the timer is armed for that, then for 'later' (both far below the 60 s poll).
    await sleep(600);
    assert.deepEqual(calls, ['a', 'b', 'c', 'c']);
    await sleep(900);
    assert.deepEqual(calls, ['a', 'b', 'c', 'c', 'later']);
    await d.stop();
    const state = async (id: string) => {
      const r = await store.scheduledMessages.byClientId(org, 'author', id);
      return [r?.state, r?.server_mid ?? r?.error, r?.attempts];
    };
    assert.deepEqual(await state('a'), ['sent', 'mid-a', 1]);
    assert.deepEqual(await state('b'), ['failed', 'Forbidden.', 1]);
    assert.deepEqual(await state('c'), ['sent', 'mid-c', 2]);
    assert.deepEqual(await state('later'), ['sent', 'mid-later', 1]);
  });

  it('wakes for a new earlier schedule, gives up a row whose tries never finished, and stops cleanly', async () => {
    const org = newId();
    const calls: string[] = [];
    const d = new ScheduledDispatcher(store.scheduledMessages, scripted(calls, (row) => ({ kind: 'sent', serverMid: row.client_id })), opts, pino({ level: 'silent' }));
    d.start();
    await sleep(50);
    // Nothing is due: the dispatcher sleeps for the 60 s poll until woken.
    const at = Date.now() + 150;
    await schedule(org, 'woken', at);
    d.wake(at);
    await sleep(400);
    assert.deepEqual(calls, ['woken']);
    // A row already claimed maxAttempts times by nodes that died: given up, not sent.
    await schedule(org, 'cursed', Date.now() - 1);
    const t = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await store.scheduledMessages.claim(10, t + i, t + i + 1, 'dead')).length, 1);
    d.wake(Date.now());
    await sleep(200);
    assert.deepEqual(calls, ['woken']);
    await d.stop();
    d.wake(Date.now());
    const cursed = await store.scheduledMessages.byClientId(org, 'author', 'cursed');
    assert.deepEqual([cursed?.state, cursed?.error], ['failed', 'Given up: earlier tries never finished.']);
  });
});
