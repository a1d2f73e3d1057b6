import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle, type ThrottleReason } from './login-throttle.js';

const opts = { perPair: 3, perAddress: 10, addressWindowMs: 60_000, guardThreshold: 5, guardIntervalMs: 1000, windowMs: 900_000, knownTtlMs: 3_600_000 };
const attacker = { address: '10.0.0.66' };
const owner = { address: '10.0.0.1', deviceId: 'phone' };

function throttle(): { t: LoginThrottle; limited: ThrottleReason[] } {
  const limited: ThrottleReason[] = [];
  return { t: new LoginThrottle(opts, (r) => limited.push(r)), limited };
}

describe('LoginThrottle', () => {
  it('stops one address guessing one login, and only that address', () => {
    const { t, limited } = throttle();
    for (let i = 0; i < 3; i++) {
      assert.equal(t.admit('k', attacker, 1000), undefined);
      t.failed('k', attacker, 1000);
    }
    assert.equal(t.admit('k', attacker, 2000), 'pair');
    assert.equal(t.admit('k', { address: '10.0.0.2' }, 2000), undefined, 'a clean address still gets to try');
    assert.equal(t.admit('other', attacker, 2000), undefined, 'the attacker may still try other logins');
    assert.deepEqual(limited, ['pair']);
    // Refusals are not failures: the pair is free again when its window ends.
    assert.equal(t.admit('k', attacker, 1000 + opts.windowMs), undefined);
  });

  it('stops one address guessing many logins', () => {
    const { t } = throttle();
    for (let i = 0; i < 10; i++) t.failed(`k${String(i)}`, attacker, 1000);
    assert.equal(t.admit('fresh', attacker, 1000), 'address');
    assert.equal(t.admit('fresh', attacker, 1000 + opts.addressWindowMs), undefined);
  });

  it('guards a login guessed from many addresses: known sources pass, others share one slot per interval', () => {
    const { t, limited } = throttle();
    assert.equal(t.admit('k', owner, 0), undefined);
    t.succeeded('k', owner, 0);
    for (let i = 0; i < 5; i++) t.failed('k', { address: `10.1.0.${String(i)}` }, 1000);
    // The owner's address and device keep working however often they try.
    for (let i = 0; i < 5; i++) assert.equal(t.admit('k', owner, 1000), undefined);
    assert.equal(t.admit('k', { address: '10.9.9.9', deviceId: 'phone' }, 1000), undefined, 'known device from a new address');
    assert.equal(t.admit('k', { address: owner.address }, 1000), undefined, 'known address without a device id');
    // Unknown sources: one per interval between them.
    assert.equal(t.admit('k', { address: '10.2.0.1' }, 1000), undefined);
    assert.equal(t.admit('k', { address: '10.2.0.2' }, 1500), 'guard');
    assert.equal(t.admit('k', { address: '10.2.0.2' }, 2000), undefined);
    assert.deepEqual(limited, ['guard']);
  });

  it('forgets known sources when they expire and keeps a bounded number per login', () => {
    const { t } = throttle();
    t.succeeded('k', owner, 0);
    for (let i = 0; i < 20; i++) t.succeeded('k', { address: `10.3.0.${String(i)}` }, 10);
    for (let i = 0; i < 5; i++) t.failed('k', attacker, 20);
    assert.equal(t.admit('k', { address: owner.address }, 30), undefined, 'first unknown try takes the slot');
    assert.equal(t.admit('k', { address: '10.3.0.19' }, 40), undefined, 'a recent source is known');
    assert.equal(t.admit('k', { address: owner.address }, 50), 'guard', 'the oldest source was dropped past 16');
    t.sweep(opts.knownTtlMs + 100);
    assert.equal(t.admit('k', { address: '10.3.0.19' }, opts.knownTtlMs + 100), undefined, 'windows ended: not guarded any more');
  });
});
