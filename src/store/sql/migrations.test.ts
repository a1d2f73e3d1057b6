import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { MIGRATIONS, forDialect } from './migrations.js';

it('keeps the text of migration 19\'s parley_append_messages as it was released (migration 21 builds on the same code)', () => {
  const step = forDialect(MIGRATIONS, 'postgres').find((m) => m.version === 19);
  const text = step?.statements.find((st) => st.startsWith('create or replace function parley_append_messages('));
  assert.ok(text, 'migration 19 creates parley_append_messages');
  assert.equal(createHash('sha256').update(text).digest('hex'), 'd346bffbf9ed8454586278cb3544a2654d42883741867b5c7329ddf4616b0381');
});
