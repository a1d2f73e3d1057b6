import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { newId } from '../protocol/ids.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { PushPlatform, PushSubscriptionRecord, Store } from '../store/store.js';
import type { PushSender, SendOutcome } from './sender.js';
import { PushWorker, type PushResult } from './worker.js';

/** A sender whose answers the test scripts per device token, recording every call. */
class ScriptedSender implements PushSender {
  readonly name = 'scripted';
  readonly calls: string[][] = [];
  constructor(
    readonly platforms: readonly PushPlatform[],
    readonly script: (token: string, call: number) => SendOutcome,
  ) {}
  send(subs: readonly PushSubscriptionRecord[]): Promise<SendOutcome[]> {
    this.calls.push(subs.map((s) => s.device_token ?? ''));
    return Promise.resolve(subs.map((s) => this.script(s.device_token ?? '', this.calls.length)));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('push worker', () => {
  let dir: string;
  let store: Store;
  let clock = 1_000_000;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-worker-'));
    store = await openSqliteStore({ dataDir: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function recipient(tokens: string[], platform: PushPlatform = 'android'): Promise<{ org: string; user: string }> {
    const org = newId();
    const user = newId();
    for (const [i, t] of tokens.entries()) {
      await store.pushSubscriptions.upsert({ _id: newId(), organization_id: org, user_id: user, platform, device_udid: `d${i}`, web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: t, created_at: i, updated_at: i });
    }
    await store.pushEvents.create({ _id: newId(), organization_id: org, user_id: newId(), user_ids: [user], message: '', created_at: clock, updated_at: clock }, [{ _id: newId(), organization_id: org, user_id: user, payload: '{"title":"t"}', created_at: clock }]);
    return { org, user };
  }

  function worker(senders: PushSender[], counts: string[], maxAttempts = 3): PushWorker {
    const opts = { batchSize: 100, pollIntervalMs: 10, leaseMs: 60_000, maxAttempts, retryBaseMs: 1000, retryMaxMs: 4000 };
    return new PushWorker(store.pushOutbox, store.pushSubscriptions, senders, opts, (p: string, r: PushResult) => counts.push(`${p}:${r}`), pino({ level: 'silent' }), () => clock);
  }

  it('retries only the subscriptions not yet reached, with doubling back-off, and deletes gone ones', async () => {
    const { org, user } = await recipient(['ok', 'flaky', 'gone']);
    const sender = new ScriptedSender(['android'], (t, call) => (t === 'gone' ? { kind: 'gone', reason: '404' } : t === 'flaky' && call < 3 ? { kind: 'retry', reason: '503' } : { kind: 'sent' }));
    const counts: string[] = [];
    const w = worker([sender], counts, 5);
    assert.equal(await w.runOnce(), 1);
    assert.deepEqual(sender.calls, [['ok', 'flaky', 'gone']]);
    assert.deepEqual((await store.pushSubscriptions.forUser(org, user)).map((s) => s.device_token), ['ok', 'flaky']);
    clock += 799;
    assert.equal(await w.runOnce(), 0, 'not due before the first back-off (1 s, jitter ≥ 0.8)');
    clock += 401;
    assert.equal(await w.runOnce(), 1);
    assert.deepEqual(sender.calls[1], ['flaky']);
    clock += 1599;
    assert.equal(await w.runOnce(), 0, 'second back-off doubles (2 s, jitter ≥ 0.8)');
    clock += 801;
    assert.equal(await w.runOnce(), 1);
    assert.deepEqual(sender.calls[2], ['flaky']);
    assert.equal((await store.pushOutbox.pending(100, clock + 1e9)).filter((p) => p.user_id === user).length, 0);
    assert.deepEqual(counts.sort(), ['android:gone', 'android:retry', 'android:retry', 'android:sent', 'android:sent'].sort());
  });

  it('gives up after the last attempt, and drops pushes with no subscription or no sender for the platform', async () => {
    const a = await recipient(['down']);
    const b = await recipient([]);
    const c = await recipient(['ios-token'], 'ios');
    const sender = new ScriptedSender(['android'], () => ({ kind: 'retry', reason: 'timeout', retryAfterMs: 10 }));
    const counts: string[] = [];
    const w = worker([sender], counts, 2);
    await w.runOnce();
    clock += 10_000;
    await w.runOnce();
    assert.equal(sender.calls.length, 2);
    const left = (await store.pushOutbox.pending(100, clock + 1e9)).filter((p) => [a.user, b.user, c.user].includes(p.user_id));
    assert.deepEqual(left, []);
    assert.deepEqual(counts.sort(), ['android:gave_up', 'android:retry', 'ios:unconfigured', 'none:no_subscription']);
  });

  it('gives up a push whose tries never reported back (the process died while sending)', async () => {
    const { user } = await recipient(['crashy']);
    // Two claims whose workers "died": the leases run out without markSent or markFailed.
    for (let i = 0; i < 2; i++) {
      assert.equal((await store.pushOutbox.claim(100, clock, clock + 1000)).filter((p) => p.user_id === user).length, 1);
      clock += 1001;
    }
    const sender = new ScriptedSender(['android'], () => ({ kind: 'sent' }));
    const counts: string[] = [];
    await worker([sender], counts, 2).runOnce();
    assert.deepEqual(sender.calls, [], 'a third try is not made');
    assert.deepEqual(counts, ['none:gave_up']);
    assert.equal((await store.pushOutbox.pending(100, clock + 1e9)).filter((p) => p.user_id === user).length, 0);
  });

  it('refuses two senders for one platform', () => {
    assert.throws(() => worker([new ScriptedSender(['web'], () => ({ kind: 'sent' })), new ScriptedSender(['web', 'ios'], () => ({ kind: 'sent' }))], []), /both serve platform web/);
  });
});
