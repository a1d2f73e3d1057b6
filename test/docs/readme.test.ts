import assert from 'node:assert/strict';
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
