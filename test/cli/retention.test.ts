import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshEnv, runCli } from './helpers.js';

describe('admin CLI: org retention', () => {
  it('shows, sets and clears the default period, refusing bad periods and unknown organizations', async () => {
    const { env, cleanup } = freshEnv();
    try {
      const org = (await runCli(['org', 'create', 'Keepers', '--json'], env)).json().organization;
      assert.deepEqual((await runCli(['org', 'retention', 'Keepers', '--json'], env)).json().retention, { seconds: null });
      const set = await runCli(['org', 'retention', org._id, '30d', '--json'], env);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(set.json().retention, { seconds: 30 * 86_400 });
      assert.match((await runCli(['org', 'retention', 'Keepers'], env)).stdout, /deleted 2592000 seconds after they were sent/);
      for (const bad of ['0', 'soon', '101000d']) {
        const r = await runCli(['org', 'retention', 'Keepers', bad], env);
        assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      }
      assert.deepEqual((await runCli(['org', 'retention', 'Keepers', 'off', '--json'], env)).json().retention, { seconds: null });
      assert.equal((await runCli(['org', 'retention', 'nobody', '90d'], env)).code, 1);
    } finally {
      cleanup();
    }
  });
});
