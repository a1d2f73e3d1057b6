import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { importDump } from '../importer/import.js';
import { formatSummary } from '../importer/summary.js';
import { openPostgresTarget, openSqliteTarget, type ImportTarget } from '../importer/target.js';
import type { CliIo } from './command.js';
import { createProgress } from './progress.js';


export const IMPORT_SAMA_USAGE = `usage: npm run admin -- import-sama <dump folder> [options]

Imports a SAMA database dump (mongodump .bson files or mongoexport .json files, one per
collection, gzipped or not) into the store this environment configures (DATABASE_URL, else
SQLite in DATA_DIR). Stop Parley while it runs. Running it again adds nothing; an interrupted
run is finished by running it again.

options:
  --json                          print the summary as JSON on stdout
  --map-organization <from>=<to>  put records of SAMA organization <from> into Parley
                                  organization <to> (repeatable; <from> "none": records
                                  without organization_id)
  --batch-size <n>                records per transaction (default 1000)
  --quiet                         no progress bars on stderr

exit status: 0 imported completely; 3 completed, with bad records (listed in the summary);
130 interrupted (run again to finish); 1 failed; 2 usage error.`;

/** Exit statuses of import-sama. */
export const EXIT = { ok: 0, failed: 1, usage: 2, badRecords: 3, interrupted: 130 } as const;

/**
 * `npm run admin -- import-sama <dir>`: imports a SAMA dump (see src/importer/). Progress goes to
 * stderr, the summary to stdout (JSON with `--json`). SIGINT stops it between records, keeping
 * what was committed. `signal` stops it the same way (tests).
 */
export async function runImportSama(argv: readonly string[], io: CliIo, options: { signal?: AbortSignal } = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${IMPORT_SAMA_USAGE}\n`);
    return 0;
  }
  let args: ReturnType<typeof parse>;
  try {
    args = parse([...argv]);
  } catch (err) {
    io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${IMPORT_SAMA_USAGE}\n`);
    return EXIT.usage;
  }
  const { dir, json, quiet, batchSize, orgMap } = args;
  if (!isDirectory(dir)) {
    io.stderr.write(`import-sama: ${dir} is not a folder\n`);
    return EXIT.usage;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`import-sama: configuration error: ${err.message}\n`);
    return EXIT.failed;
  }
  const stop = new AbortController();
  // The first Ctrl-C stops between records; a second one ends the process at once (also safe:
  // every batch is one transaction).
  const onSigint = (): void => {
    io.stderr.write('\nimport-sama: stopping after the current batch (run the same command again to finish; Ctrl-C again to quit now)\n');
    stop.abort();
  };
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  process.once('SIGINT', onSigint);
  let target: ImportTarget | undefined;
  try {
    target = config.databaseUrl !== undefined ? await openPostgresTarget(config.databaseUrl) : await openSqliteTarget(config.dataDir);
    const summary = await importDump({
      dir,
      target,
      orgMap,
      batchSize,
      signal: stop.signal,
      settings: {
        now: Date.now(),
        accessTokenTtlSec: config.jwtAccessTokenExpiresIn,
        refreshTokenTtlSec: config.jwtRefreshTokenExpiresIn,
        encryptedDeviceTtlSec: config.encryptionDeviceExpiresIn,
        encryptedMessageTtlSec: config.encryptionMessageExpiredIn,
        operationsLogTtlSec: config.operationsLogExpiresIn,
      },
      progress: (label) => createProgress({ label, quiet, stream: io.stderr }),
    });
    io.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    if (!summary.complete) return EXIT.interrupted;
    return summary.totals.bad > 0 ? EXIT.badRecords : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
    await target?.close();
  }
}

function parse(argv: string[]): { dir: string; json: boolean; quiet: boolean; batchSize: number; orgMap: Map<string, string> } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: '1000' },
      'map-organization': { type: 'string', multiple: true, default: [] },
    },
  });
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0) throw new Error('import-sama needs exactly one dump folder');
  const batchSize = Number(values['batch-size']);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('--batch-size must be an integer from 1 to 10000');
  const orgMap = new Map<string, string>();
  for (const pair of values['map-organization']) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new Error(`--map-organization wants <from>=<to>, not "${pair}"`);
    orgMap.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { dir, json: values.json, quiet: values.quiet, batchSize, orgMap };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
