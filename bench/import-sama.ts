import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImportSama } from '../src/cli/import-sama.js';
import type { ImportSummary } from '../src/importer/summary.js';
import { TestPostgres } from '../test/helpers/postgres.js';
import { writeGeneratedDump } from '../test/helpers/sama-dump.js';

/**
 * `npm run bench -- import-sama [--messages N] [--users N]`: writes a SAMA dump (mongodump
 * .bson) of N messages (default 10^6) with a plausible installation around them — N/100 users,
 * two private chats per user and a group of 5 per 10 users, read statuses on a third of the
 * messages, reactions on 2 %, attachments (with their file records) on 5 % — then times
 * `import-sama` into a fresh embedded SQLite store and into a fresh durable PostgreSQL
 * (TestPostgres, fsync on), and the idempotent second run on each.
 */

export interface ImportBenchOptions {
  readonly messages?: number;
  readonly users?: number;
  /** Which stores to import into (default both). */
  readonly stores?: readonly ('sqlite' | 'postgres')[];
}

interface RunResult {
  readonly seconds: number;
  readonly exitCode: number;
  readonly messagesPerSec: number;
  readonly recordsPerSec: number;
  readonly peakRssMiB: number;
  readonly totals: ImportSummary['totals'];
  readonly collections: Record<string, { read: number; imported: number; skipped: number; bad: number; seconds: number }>;
}

/** One `import-sama` run, in this process, as the operator would type it. */
async function timeImport(dir: string, env: Record<string, string>): Promise<RunResult> {
  let out = '';
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 200);
  const started = performance.now();
  try {
    const exitCode = await runImportSama([dir, '--json', '--quiet'], { stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, stderr: process.stderr, env });
    const seconds = (performance.now() - started) / 1000;
    const summary = JSON.parse(out) as ImportSummary;
    const messages = summary.collections.find((c) => c.collection === 'messages');
    return {
      seconds: Math.round(seconds * 10) / 10,
      exitCode,
      messagesPerSec: messages && messages.seconds > 0 ? Math.round(messages.read / messages.seconds) : 0,
      recordsPerSec: Math.round(summary.totals.read / seconds),
      peakRssMiB: Math.round(peak / 2 ** 20),
      totals: summary.totals,
      collections: Object.fromEntries(summary.collections.filter((c) => c.status !== 'absent').map((c) => [c.collection, { read: c.read, imported: c.imported, skipped: c.skipped, bad: c.bad, seconds: Math.round(c.seconds * 10) / 10 }])),
    };
  } finally {
    clearInterval(sampler);
  }
}

export async function importSamaScenario(o: ImportBenchOptions): Promise<unknown> {
  const messages = o.messages ?? 1_000_000;
  const users = o.users ?? Math.max(10, Math.round(messages / 100));
  process.stderr.write(`import-sama bench: writing a dump of ${messages} messages, ${users} users\n`);
  const dump = await writeGeneratedDump(mkdtempSync(join(tmpdir(), 'sama-bench-dump-')), messages, users);
  process.stderr.write(`import-sama bench: dump written in ${dump.seconds.toFixed(1)} s (${Math.round(dump.bytes / 2 ** 20)} MiB): ${JSON.stringify(dump.counts)}\n`);
  const results: Record<string, { first: RunResult; rerun: RunResult }> = {};
  try {
    for (const store of o.stores ?? ['sqlite', 'postgres']) {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-import-bench-'));
      const pg = store === 'postgres' ? await TestPostgres.start({ durable: true }) : undefined;
      try {
        const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(pg ? { DATABASE_URL: await pg.createDatabase() } : {}) };
        process.stderr.write(`import-sama bench: importing into ${store}\n`);
        const first = await timeImport(dump.dir, env);
        process.stderr.write(`import-sama bench: ${store} first run ${first.seconds} s (${first.messagesPerSec} messages/s); rerun\n`);
        const rerun = await timeImport(dump.dir, env);
        process.stderr.write(`import-sama bench: ${store} rerun ${rerun.seconds} s\n`);
        results[store] = { first, rerun };
      } finally {
        await pg?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dump.dir, { recursive: true, force: true });
  }
  return { messages, users, dump: { mebibytes: Math.round(dump.bytes / 2 ** 20), writeSeconds: Math.round(dump.seconds * 10) / 10, counts: dump.counts }, batchSize: 1000, stores: results };
}
