#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config/config.js';
import { createOrganization } from '../domain/organizations.js';
import { runImportSama } from './import-sama.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';

/**
 * `npm run admin -- org create <name>` / `npm run admin -- org get <id>`: operator commands that
 * act on the store the environment configures (the same settings as the server).
 */
const USAGE = 'usage: npm run admin -- org create <name> | org get <id>';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'import-sama') return runImportSama(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, env: process.env });
  const [area, verb, ...rest] = argv;
  if (area !== 'org' || (verb !== 'create' && verb !== 'get') || rest.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env);
  const store = config.databaseUrl !== undefined ? await openPostgresStore({ url: config.databaseUrl }) : await openSqliteStore({ dataDir: config.dataDir });
  try {
    if (verb === 'create') {
      const org = await createOrganization(store.organizations, rest.join(' '), Date.now());
      process.stdout.write(`${JSON.stringify({ organization: { _id: org._id, name: org.name } })}\n`);
      return 0;
    }
    const org = await store.organizations.byId(rest[0] ?? '');
    if (!org) {
      process.stderr.write(`no organization with id ${rest[0] ?? ''}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ organization: { _id: org._id, name: org.name } })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`parley admin: ${msg}\n`);
    process.exit(1);
  },
);
