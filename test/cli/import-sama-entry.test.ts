import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshEnv, runCli } from './helpers.js';

// The importer itself is tested in test/e2e/import-sama.test.ts; this checks its place in the
// admin CLI's registry: listed, helpful, and refusing a missing dump plainly.
describe('admin CLI: import-sama entry', () => {
  it('is listed in --help, explains itself with --help (exit 0) and refuses a missing folder', async () => {
    const { env, cleanup } = freshEnv();
    try {
      const help = await runCli(['--help'], env);
      assert.match(help.stdout + help.stderr, /import-sama\s+import a SAMA database dump/);
      const own = await runCli(['import-sama', '--help'], env);
      assert.equal(own.code, 0, own.stderr);
      assert.match(own.stdout, /usage: npm run admin -- import-sama <dump folder>/);
      assert.doesNotMatch(own.stderr, /Unknown option/);
      const none = await runCli(['import-sama'], env);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /exactly one dump folder/);
    } finally {
      cleanup();
    }
  });
});
