import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { runAdmin } from '../../src/cli/run.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { TestPostgres } from '../helpers/postgres.js';

/** What one in-process CLI run printed. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the one JSON document --json prints. */
  json(): any;
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `npm run admin -- <argv>` in this process (the same code path as the real CLI, minus
 * the process) with exactly `env` as its environment, and `stdin` as its input.
 */
export async function runCli(argv: readonly string[], env: Record<string, string>, stdin?: string): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const input = new PassThrough();
  input.end(stdin ?? '');
  const code = await runAdmin(argv, { env, stdout: out.stream, stderr: err.stream, stdin: input });
  return {
    code,
    stdout: out.text(),
    stderr: err.text(),
    json() {
      return JSON.parse(out.text());
    },
  };
}

/** A fresh data dir and the settings that point the CLI at it (no server to contact: APP_PORT=0). */
export function freshEnv(extra: Record<string, string> = {}): { env: Record<string, string>; dataDir: string; cleanup: () => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  return {
    env: { DATA_DIR: dataDir, APP_PORT: '0', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1', ...extra },
    dataDir,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** One store backend for CLI tests: settings for the CLI and a way to open the same store directly. */
export interface CliBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why it cannot run here (then the test skips), or undefined. */
  readonly skip: string | undefined;
  /** Fresh settings (data dir, and a fresh database for PostgreSQL) and an opener for the same store. */
  setup(): Promise<{ env: Record<string, string>; dataDir: string; open: () => Promise<Store>; cleanup: () => Promise<void> }>;
}

let postgres: Promise<TestPostgres> | undefined;

/** SQLite, and PostgreSQL on a throwaway server (started once per test file, stopped at exit). */
export function cliBackends(): CliBackend[] {
  const pgSkip = TestPostgres.unavailable();
  return [
    {
      name: 'sqlite',
      skip: undefined,
      setup() {
        const { env, dataDir, cleanup } = freshEnv();
        return Promise.resolve({ env, dataDir, open: () => openSqliteStore({ dataDir }), cleanup: () => Promise.resolve(cleanup()) });
      },
    },
    {
      name: 'postgres',
      skip: pgSkip,
      async setup() {
        postgres ??= TestPostgres.shared();
        const url = await (await postgres).createDatabase();
        const { env, dataDir, cleanup } = freshEnv({ DATABASE_URL: url });
        return { env, dataDir, open: () => openPostgresStore({ url }), cleanup: () => Promise.resolve(cleanup()) };
      },
    },
  ];
}
