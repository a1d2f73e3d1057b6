import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { cachedStore } from '../cache/cached-store.js';
import { openSqliteStore } from '../sqlite/index.js';
import { runStoreContracts } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-contract-'));
const cachedDir = mkdtempSync(join(tmpdir(), 'parley-contract-cached-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cachedDir, { recursive: true, force: true });
});
runStoreContracts('sqlite', async () => {
  // Opening twice proves migrations are idempotent on an existing file.
  const first = await openSqliteStore({ dataDir: dir });
  await first.close();
  return openSqliteStore({ dataDir: dir });
});
// The server runs behind the read cache, so the cached store must keep every contract too.
runStoreContracts('sqlite, cached', async () => cachedStore(await openSqliteStore({ dataDir: cachedDir })));
