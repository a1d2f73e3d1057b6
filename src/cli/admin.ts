#!/usr/bin/env node
import { runAdmin } from './run.js';

/**
 * `npm run admin -- <area> <command> …`: operator commands on the store and services the
 * environment configures (the same settings as the server). `npm run admin -- --help` lists them;
 * the registry is src/cli/registry.ts, the commands src/cli/commands/<area>.ts.
 */
runAdmin(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`parley admin: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
