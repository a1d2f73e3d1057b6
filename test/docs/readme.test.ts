import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { configTable } from '../../scripts/config-table.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

it('README starts with the two commands that work on a fresh machine', () => {
  const blocks = [...readme.matchAll(/```sh\n([^`]*)```/g)].map((m) => m[1]?.trim());
  assert.equal(blocks[0], 'npm ci && npm start');
  assert.equal(blocks[1], 'npm ci && npm test');
});

it("README's configuration table matches the config definitions (regenerate: npx tsx scripts/config-table.ts)", () => {
  assert.ok(readme.includes(configTable()), 'README.md configuration table is stale');
});

it('no committed file carries a merge-conflict marker', () => {
  // Tracked text files only (git ls-files), so build output and dependencies are not read.
  const root = join(import.meta.dirname, '..', '..');
  const files = execFileSync('git', ['ls-files', '-z', '--', '*.md', '*.ts', '*.tsx', '*.mjs', '*.js', '*.json', '*.yaml', '*.yml', '*.css', '*.html', '.ci/*'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  assert.ok(files.length > 50, `only ${String(files.length)} files listed`);
  const marked = files.filter((f) => /^(<{7}|>{7}) /m.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(marked, []);
});
