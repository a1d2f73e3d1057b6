import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, isClustered, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = { DATA_DIR: dir };
const redis = 'redis://127.0.0.1:6379';
const pg = 'postgres://u@127.0.0.1/parley';
const secrets = { JWT_ACCESS_SECRET: 'j', COOKIE_SECRET: 'c', FILE_URL_SECRET: 'f' };

describe('cluster settings', () => {
  it('refuses REDIS_URL with the embedded store, saying why, unless it only serves the push queue', () => {
    assert.throws(() => loadConfig({ ...base, REDIS_URL: redis }), (e: unknown) => e instanceof ConfigError && /needs PostgreSQL \(DATABASE_URL\)/.test(e.message));
    const queue = loadConfig({ ...base, REDIS_URL: redis, PUSH_DRIVER: 'sama-queue' });
    assert.equal(isClustered(queue), false);
  });

  it('needs the secrets every node shares set explicitly', () => {
    assert.throws(() => loadConfig({ ...base, REDIS_URL: redis, DATABASE_URL: pg }), (e: unknown) => e instanceof ConfigError && /JWT_ACCESS_SECRET, COOKIE_SECRET, FILE_URL_SECRET/.test(e.message));
    assert.throws(() => loadConfig({ ...base, REDIS_URL: redis, DATABASE_URL: pg, JWT_ACCESS_SECRET: 'j', COOKIE_SECRET: 'c' }), /FILE_URL_SECRET/);
    const c = loadConfig({ ...base, REDIS_URL: redis, DATABASE_URL: pg, ...secrets, NODE_ID: 'node-a' });
    assert.equal(isClustered(c), true);
    assert.equal(c.nodeId, 'node-a');
  });

  it('names a node when NODE_ID is unset, differently at every start', () => {
    const a = loadConfig(base);
    const b = loadConfig(base);
    assert.equal(isClustered(a), false);
    assert.match(a.nodeId ?? '', /^.+-[0-9a-f]{6}$/);
    assert.notEqual(a.nodeId, b.nodeId);
  });
});
