import { after } from 'node:test';
import { TestPostgres } from '../../../test/helpers/postgres.js';
import { openPostgresStore } from '../postgres/index.js';
import { runStoreContracts } from './run.js';

const skip = TestPostgres.unavailable();
if (skip) console.log(`# skipping PostgreSQL store contract: ${skip}`);
let server: TestPostgres | undefined;
after(() => server?.stop());
runStoreContracts(
  'postgres',
  skip
    ? undefined
    : async () => {
        server = await TestPostgres.start();
        const url = await server.createDatabase();
        // Opening twice proves migrations are idempotent on an existing database.
        const first = await openPostgresStore({ url });
        await first.close();
        return openPostgresStore({ url });
      },
  skip,
);
