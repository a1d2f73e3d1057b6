import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../packages/client/src/index.js';
import { EVENT_NAMES } from '../../packages/client/src/protocol.js';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../scripts/gen-client-types.js';
import { EventSchemas } from '../../src/protocol/events.js';
import { ROOT } from '../process/helpers.js';

describe('@parley/client types', () => {
  it('are generated from the schemas the server validates with (run `npm run gen:client` after changing one)', () => {
    const committed = readFileSync(join(ROOT, CLIENT_TYPES_PATH), 'utf8');
    assert.ok(committed === generateClientTypes(), `${CLIENT_TYPES_PATH} is stale: run npm run gen:client`);
    assert.deepEqual([...EVENT_NAMES], Object.keys(EventSchemas));
  });

  it('back off exponentially with full jitter', () => {
    assert.equal(backoffDelay(0, {}, () => 0.999999), 499);
    assert.equal(backoffDelay(3, {}, () => 0.999999), 3999);
    assert.equal(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 5000 }, () => 0.5), 2500);
    assert.equal(backoffDelay(5, {}, () => 0), 0);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
    assert.ok(spread.size > 25, 'delays are spread, not synchronized');
    for (const d of spread) assert.ok(d >= 0 && d < 8000);
  });
});
