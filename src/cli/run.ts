import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { ensureDefaultOrganization } from '../domain/organizations.js';
import type { ObjectStorage } from '../files/storage.js';
import { createStorage, openStore } from '../main-drivers.js';
import { SamaError } from '../protocol/errors.js';
import type { Store } from '../store/store.js';
import { UsageError, parseArgs, type ParsedArgs } from './args.js';
import { CliError, type CliIo, type CliOutput, type CommandContext, type CommandResult, type StoreCommand } from './command.js';
import { createProgress } from './progress.js';
import { areaHelp, commandHelp, findCommand, isArea, overviewHelp, usageLine } from './registry.js';
import { serverLink } from './server-link.js';

function write(stream: NodeJS.WritableStream, text: string): void {
  if (text !== '') stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function output(io: CliIo, args: ParsedArgs): CliOutput {
  return {
    progress: (label, total) => createProgress({ label, ...(total === undefined ? {} : { total }), quiet: args.bool('quiet'), stream: io.stderr }),
    note: (text) => write(io.stderr, text),
  };
}

/** Loads the config, opens the store as the server does, runs the command and closes the store. */
async function runOnStore(command: StoreCommand, args: ParsedArgs, io: CliIo): Promise<CommandResult> {
  const config: Config = loadConfig(io.env);
  // Driver warnings (an idle PostgreSQL connection lost) go to stderr, never into the result.
  const log = pino({ level: 'warn' }, { write: (line: string) => io.stderr.write(line) });
  const store: Store = await openStore(config, log, true);
  // What the server makes at every start, so a fresh install looks the same here.
  await ensureDefaultOrganization(store.organizations, Date.now());
  let storage: Promise<ObjectStorage> | undefined;
  const ctx: CommandContext = {
    config,
    store,
    io,
    out: output(io, args),
    now: io.now ?? Date.now,
    storage() {
      storage ??= (async () => {
        // Only deletions use it, and they build no URLs.
        const s = createStorage(config, store, () => config.publicUrl ?? 'http://localhost');
        await s.start();
        return s;
      })();
      return storage;
    },
    server: (a) => serverLink(config, a),
  };
  try {
    return await command.run(args, ctx);
  } finally {
    await store.close();
  }
}

/** Prints a failure: a JSON document on stdout with --json, a line on stderr otherwise. */
function fail(io: CliIo, json: boolean, message: string, details: Record<string, unknown> = {}): void {
  if (json) write(io.stdout, JSON.stringify({ error: message, ...details }, null, 2));
  else write(io.stderr, `parley admin: ${message}`);
}

/**
 * Runs one admin command line and returns its exit code: 0 done, 1 something is wrong (not
 * found, refused, a failed check), 2 a wrong command line. The result goes to stdout (one JSON
 * document with --json, text otherwise); progress, warnings and errors to stderr.
 */
export async function runAdmin(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    write(first === undefined ? io.stderr : io.stdout, overviewHelp());
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    if (isArea(first)) {
      const asked = second === undefined || second === '--help' || second === '-h';
      write(asked && second !== undefined ? io.stdout : io.stderr, `${asked ? '' : `unknown command "${first} ${second ?? ''}"\n\n`}${areaHelp(first)}`);
      return asked && second !== undefined ? 0 : 2;
    }
    write(io.stderr, `unknown command "${first}"\n\n${overviewHelp()}`);
    return 2;
  }
  const { command, rest } = found;
  if (command.kind === 'raw') return command.run(rest, io);
  try {
    const args = parseArgs(rest, command.flags);
    if (args.bool('help')) {
      write(io.stdout, commandHelp(command));
      return 0;
    }
    const result = command.kind === 'store' ? await runOnStore(command, args, io) : await command.run(args, io, output(io, args));
    write(io.stdout, json ? JSON.stringify(result.json, null, 2) : result.text);
    return result.exitCode ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      if (json) write(io.stdout, JSON.stringify({ error: err.message, usage: usageLine(command) }, null, 2));
      write(io.stderr, `parley admin: ${err.message}\n${usageLine(command)}\n(${command.path.join(' ')} --help explains it)`);
      return 2;
    }
    if (err instanceof CliError) fail(io, json, err.message, err.details);
    else if (err instanceof ConfigError) fail(io, json, `configuration error: ${err.message}`);
    else if (err instanceof SamaError) fail(io, json, err.message);
    else fail(io, json, err instanceof Error ? err.message : String(err));
    return 1;
  }
}
