import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestRedis } from '../../test/helpers/redis.js';
import { RedisThrottleStore } from './redis-throttle.js';
import { LoginThrottle, type ThrottleReason } from '../domain/login-throttle.js';
import { MemoryThrottleStore, type ThrottleStore } from '../domain/throttle-store.js';

// Real time and short windows, so the memory store and Redis (whose keys expire by the clock)
// are held to the same behaviour.
const opts = { perPair: 3, perAddress: 10, addressWindowMs: 400, guardThreshold: 5, guardIntervalMs: 300, windowMs: 400, knownTtlMs: 500 };
const attacker = { address: '10.0.0.66' };
const owner = { address: '10.0.0.1', deviceId: 'phone' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let run = 0;

/** The throttle's behaviour, on a store from `open` (a fresh namespace per test). */
function throttleContract(open: () => ThrottleStore): void {
  const throttle = (): { t: LoginThrottle; limited: ThrottleReason[]; key: string } => {
    const limited: ThrottleReason[] = [];
    return { t: new LoginThrottle(opts, open(), { limited: (r) => limited.push(r) }), limited, key: `login:o:${String(++run)}` };
  };

  it('stops one address guessing one login, and only that address', async () => {
    const { t, limited, key } = throttle();
    for (let i = 0; i < 3; i++) {
      assert.equal(await t.admit(key, attacker, Date.now()), undefined);
      await t.failed(key, attacker, Date.now());
    }
    assert.equal(await t.admit(key, attacker, Date.now()), 'pair');
    assert.equal(await t.admit(key, { address: '10.0.0.2' }, Date.now()), undefined, 'a clean address still gets to try');
    assert.equal(await t.admit(`${key}-other`, attacker, Date.now()), undefined, 'the attacker may still try other logins');
    assert.deepEqual(limited, ['pair']);
    // Refusals are not failures: the pair is free again when its window ends.
    await sleep(opts.windowMs + 50);
    assert.equal(await t.admit(key, attacker, Date.now()), undefined);
  });

  it('stops one address guessing many logins', async () => {
    const { t, key } = throttle();
    const address = { address: `10.5.0.${String(run)}` };
    for (let i = 0; i < 10; i++) await t.failed(`${key}-${String(i)}`, address, Date.now());
    assert.equal(await t.admit(`${key}-fresh`, address, Date.now()), 'address');
    await sleep(opts.addressWindowMs + 50);
    assert.equal(await t.admit(`${key}-fresh`, address, Date.now()), undefined);
  });

  it('guards a login guessed from many addresses: known sources pass, others share one slot per interval', async () => {
    const { t, limited, key } = throttle();
    assert.equal(await t.admit(key, owner, Date.now()), undefined);
    await t.succeeded(key, owner, Date.now());
    for (let i = 0; i < 5; i++) await t.failed(key, { address: `10.1.0.${String(i)}` }, Date.now());
    // The owner's address and device keep working however often they try.
    for (let i = 0; i < 5; i++) assert.equal(await t.admit(key, owner, Date.now()), undefined);
    assert.equal(await t.admit(key, { address: '10.9.9.9', deviceId: 'phone' }, Date.now()), undefined, 'known device from a new address');
    assert.equal(await t.admit(key, { address: owner.address }, Date.now()), undefined, 'known address without a device id');
    // Unknown sources: one per interval between them.
    assert.equal(await t.admit(key, { address: '10.2.0.1' }, Date.now()), undefined);
    assert.equal(await t.admit(key, { address: '10.2.0.2' }, Date.now()), 'guard');
    await sleep(opts.guardIntervalMs + 50);
    assert.equal(await t.admit(key, { address: '10.2.0.2' }, Date.now()), undefined);
    assert.deepEqual(limited, ['guard']);
  });

  it('forgets known sources when they expire, and keeps a bounded number per login', async () => {
    const { t, key } = throttle();
    await t.succeeded(key, owner, Date.now());
    await sleep(5);
    for (let i = 0; i < 20; i++) await t.succeeded(key, { address: `10.3.0.${String(i)}` }, Date.now());
    for (let i = 0; i < 5; i++) await t.failed(key, attacker, Date.now());
    assert.equal(await t.admit(key, { address: '10.3.0.19' }, Date.now()), undefined, 'a recent source is known');
    assert.equal(await t.admit(key, { address: owner.address }, Date.now()), undefined, 'the oldest source was dropped past 16: it takes the slot');
    assert.equal(await t.admit(key, { address: owner.address }, Date.now()), 'guard');
    await sleep(opts.knownTtlMs + 50);
    // Known sources and the failure window have both ended.
    assert.equal(await t.admit(key, { address: '10.3.0.19' }, Date.now()), undefined);
  });
}

describe('LoginThrottle on the memory store', () => {
  throttleContract(() => new MemoryThrottleStore());
});

const skip = TestRedis.unavailable();
if (skip) console.log(`# skipping LoginThrottle on Redis: ${skip}`);

describe('LoginThrottle on Redis (cluster-wide)', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await TestRedis.start();
    client = new Redis(redis.url);
  });
  after(async () => {
    await client.quit();
    await redis.stop();
  });
  throttleContract(() => new RedisThrottleStore(client, `t${String(run)}:`));

  it('lets attempts through, and says so, while Redis is unreachable', async () => {
    const down = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const failures: unknown[] = [];
    const t = new LoginThrottle(opts, new RedisThrottleStore(down), { storeFailed: (err) => failures.push(err) });
    assert.equal(await t.admit('k', attacker, Date.now()), undefined);
    await t.failed('k', attacker, Date.now());
    assert.ok(failures.length >= 2);
  });
});
