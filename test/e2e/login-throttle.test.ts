import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginFrom, TestServer } from '../helpers/server.js';

describe('login throttling an attacker cannot turn against the owner', () => {
  let server: TestServer;
  before(async () => {
    // Low limits keep the test short; the defaults behave the same at their own numbers.
    server = await TestServer.start({ LOGIN_RATE_LIMIT_PER_LOGIN: '4', LOGIN_GUARD_THRESHOLD: '12', LOGIN_GUARD_INTERVAL_MS: '60000', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' });
  });
  after(() => server.stop());

  it('locks the guessing address out of that login, while the owner logs in from a clean address throughout', async () => {
    const org = await server.createOrg();
    const owner = await server.createUser(org);
    const seen: (number | 'ok')[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) seen.push(await loginFrom(server, '127.0.0.2', owner, `guess-${String(round)}-${String(i)}`));
      assert.equal(await loginFrom(server, '127.0.0.3', owner, owner.password, `owner-${String(round)}`), 'ok', `owner in round ${String(round)}`);
    }
    assert.deepEqual(seen.slice(0, 4), [401, 401, 401, 401]);
    assert.ok(seen.slice(4).every((s) => s === 429), JSON.stringify(seen));
    // The attacker's right guess is refused too while it waits, so waiting is all it can do.
    assert.equal(await loginFrom(server, '127.0.0.2', owner, owner.password), 429);
  });

  it('under guessing from many addresses, the owner keeps working from where they logged in before', async () => {
    const org = await server.createOrg();
    const owner = await server.createUser(org);
    assert.equal(await loginFrom(server, '127.0.0.4', owner, owner.password, 'laptop'), 'ok');
    const results: (number | 'ok')[] = [];
    for (let i = 0; i < 16; i++) results.push(await loginFrom(server, `127.0.1.${String(i + 1)}`, owner, `spray-${String(i)}`));
    assert.deepEqual(results.slice(0, 12), Array(12).fill(401));
    // Guarded now: new addresses share one attempt per interval, the first of which was used.
    assert.ok(results.slice(13).every((r) => r === 429), JSON.stringify(results));
    assert.equal(await loginFrom(server, '127.0.0.4', owner, owner.password, 'laptop'), 'ok', 'known address and device');
    assert.equal(await loginFrom(server, '127.0.2.1', owner, owner.password, 'laptop'), 'ok', 'known device from a new address');
    assert.equal(await loginFrom(server, '127.0.0.4', owner, owner.password, 'new-tablet'), 'ok', 'known address, new device');
    assert.equal(await loginFrom(server, '127.0.2.2', owner, owner.password, 'stranger'), 429, 'unknown source waits');
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /parley_logins_throttled_total\{reason="guard"\} [1-9]/);
    assert.match(metrics, /parley_logins_throttled_total\{reason="pair"\} [1-9]/);
  });
});
