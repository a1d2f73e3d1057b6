import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idAfter, isId, newId } from './ids.js';

describe('idAfter', () => {
  it('gives a well-formed id just after the one given, in the same second, never the same twice', () => {
    const base = newId();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const next = idAfter(base);
      assert.ok(isId(next));
      assert.ok(next > base);
      assert.equal(next.slice(0, 8), base.slice(0, 8));
      seen.add(next);
    }
    assert.equal(seen.size, 1000);
  });

  it('carries into the time part when the middle part is at its maximum', () => {
    const base = `65000000${'f'.repeat(10)}000001`;
    const next = idAfter(base);
    assert.ok(isId(next));
    assert.ok(next > base);
    assert.equal(next.slice(0, 8), '65000001');
  });
});
