import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LoginThrottle } from '../../domain/login-throttle.js';
import { MemoryThrottleStore } from '../../domain/throttle-store.js';
import { encodeSamaHash, samaDigest } from '../../domain/legacy-passwords.js';
import { createPasswordHasher, type PasswordHasher } from '../../domain/passwords.js';
import { Errors, SamaError } from '../../protocol/errors.js';
import type { UserRecord } from '../../store/store.js';
import type { HandlerContext, HandlerDeps } from '../define.js';
import { checkPassword } from './login.js';

/** A hasher that records which path ran, so the test needs no clock. */
function countingHasher(): PasswordHasher & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    hash: (p) => Promise.resolve(`h:${p}`),
    verify: (encoded, p) => {
      calls.push('verify');
      return Promise.resolve(encoded === `h:${p}`);
    },
    verifyNobody: () => {
      calls.push('decoy');
      return Promise.resolve(false);
    },
    needsRehash: (encoded) => !encoded.startsWith('h:'),
  };
}

const alice = { _id: 'u1', organization_id: 'o1', login: 'alice', password_hash: 'h:right' } as UserRecord;

function ctx(hasher: PasswordHasher, limit = 5, stored: UserRecord = alice, replaced: string[] = []): HandlerContext {
  const users = {
    byLogin: (_o: string, login: string) => Promise.resolve(login.toLowerCase() === stored.login ? stored : undefined),
    replacePasswordHash: (_o: string, _id: string, expected: string, next: string) => {
      replaced.push(`${expected} -> ${next}`);
      return Promise.resolve(true);
    },
  };
  const deps = { passwords: hasher, store: { users }, limiters: new LoginThrottle({ perPair: limit, perAddress: 100, addressWindowMs: 60_000, guardThreshold: 1000, guardIntervalMs: 1000, windowMs: 60_000, knownTtlMs: 60_000 }, new MemoryThrottleStore()) } as unknown as HandlerDeps;
  return { session: undefined, address: '127.0.0.1', deps, now: 1000 };
}

it('spends a password verification on unknown logins too, and answers them like wrong passwords', async () => {
  const hasher = countingHasher();
  const c = ctx(hasher);
  const unknown = await checkPassword(c, 'o1', { login: 'nobody' }, 'x').catch((e: unknown) => e);
  const wrong = await checkPassword(c, 'o1', { login: 'alice' }, 'x').catch((e: unknown) => e);
  assert.deepEqual(hasher.calls, ['decoy', 'verify']);
  assert.ok(unknown instanceof SamaError && wrong instanceof SamaError);
  assert.deepEqual(unknown.toWire(), wrong.toWire());
  assert.deepEqual(unknown.toWire(), Errors.badCredentials);
  assert.equal((await checkPassword(c, 'o1', { login: 'ALICE' }, 'right'))._id, 'u1');
});

it('refuses a login name from an address after its failures are used up, before checking the password', async () => {
  const hasher = countingHasher();
  const c = ctx(hasher, 2);
  for (let i = 0; i < 2; i++) await assert.rejects(checkPassword(c, 'o1', { login: 'alice' }, 'bad'));
  hasher.calls.length = 0;
  await assert.rejects(checkPassword(c, 'o1', { login: 'alice' }, 'right'), (e: unknown) => e instanceof SamaError && e.status === 429);
  assert.deepEqual(hasher.calls, []);
});

it('replaces a hash in an old scheme after a successful login, and only then', async () => {
  const hasher = createPasswordHasher({ memoryKib: 1024, passes: 1 });
  const salt = 'Ab3+/salt';
  const legacy = encodeSamaHash(salt, samaDigest('sama-pass', salt)) ?? '';
  const replaced: string[] = [];
  const c = ctx(hasher, 5, { ...alice, login: 'carol', password_hash: legacy }, replaced);
  await assert.rejects(checkPassword(c, 'o1', { login: 'carol' }, 'wrong'), (e: unknown) => e instanceof SamaError && e.status === Errors.badCredentials.status);
  assert.deepEqual(replaced, []);
  const user = await checkPassword(c, 'o1', { login: 'carol' }, 'sama-pass');
  assert.equal(replaced.length, 1);
  assert.ok(user.password_hash.startsWith('$argon2id$'));
  assert.equal(replaced[0], `${legacy} -> ${user.password_hash}`);
  assert.equal(await hasher.verify(user.password_hash, 'sama-pass'), true);
});
