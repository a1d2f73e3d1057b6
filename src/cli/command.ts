import type { Config } from '../config/config.js';
import { SamaError } from '../protocol/errors.js';
import type { ObjectStorage } from '../files/storage.js';
import type { Store } from '../store/store.js';
import type { FlagSpecs, ParsedArgs } from './args.js';
import type { Progress } from './progress.js';
import type { ServerLink } from './server-link.js';

/** Where a CLI run reads and writes: the real process, or buffers in tests. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  /** Progress bars, warnings and error messages. */
  readonly stderr: NodeJS.WritableStream;
  /** For `--password-stdin`. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Defaults to Date.now. */
  readonly now?: () => number;
}

/** What a command prints: the JSON document (`--json`) or the text, and its exit code. */
export interface CommandResult {
  readonly json: unknown;
  readonly text: string;
  /** 0 unless something is wrong (1) — usage errors (2) are thrown as UsageError. */
  readonly exitCode?: number;
}

/** Side output of a command: progress bars and notes on stderr, never on stdout. */
export interface CliOutput {
  progress(label: string, total?: number): Progress;
  /** A line on stderr (warnings the result also carries). */
  note(text: string): void;
}

/** What a command that works on the store gets, opened from the configuration as the server does. */
export interface CommandContext {
  readonly config: Config;
  readonly store: Store;
  readonly out: CliOutput;
  readonly io: CliIo;
  now(): number;
  /** The configured file storage, started on first use (deletions remove file bytes too). */
  storage(): Promise<ObjectStorage>;
  /** The running server's admin API (to end live sessions), as the flags and config name it. */
  server(args: ParsedArgs): ServerLink;
}

interface CommandBase {
  /** Words that name the command: `['org', 'create']`, `['doctor']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Arguments after the path, e.g. `<id|name> [--yes]`. */
  readonly usage: string;
  /** More lines for `--help`: what exactly happens, examples. */
  readonly details?: string;
  readonly flags: FlagSpecs;
}

/** A command on the store: the CLI loads the config and opens the store for it. */
export interface StoreCommand extends CommandBase {
  readonly kind: 'store';
  run(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult>;
}

/** A command that loads what it needs itself (doctor must report a config that does not load). */
export interface StandaloneCommand extends CommandBase {
  readonly kind: 'standalone';
  run(args: ParsedArgs, io: CliIo, out: CliOutput): Promise<CommandResult>;
}

/**
 * A command with its own argument parsing and output, handed the arguments after its path
 * unparsed (`--help` included) and returning its exit code.
 */
export interface RawCommand extends Omit<CommandBase, 'flags'> {
  readonly kind: 'raw';
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

export type Command = StoreCommand | StandaloneCommand | RawCommand;

/** An operational failure (not found, refused, conflict): the message is shown, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    /** Extra fields for the `--json` error document. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Runs `work` and turns a SamaError it throws (a rule the server applies to clients too: a bad or
 * taken name, a password outside the limits) into a CliError with the same message.
 */
export async function rulesAsCliError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SamaError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * The file storage for a deletion, or a CliError saying nothing was deleted and how to delete
 * the records without the bytes.
 */
export async function reachableStorage(ctx: CommandContext): Promise<ObjectStorage> {
  try {
    return await ctx.storage();
  } catch (err) {
    throw new CliError(`the file storage cannot be used (${err instanceof Error ? err.message : String(err)}), so nothing was deleted; --keep-file-bytes deletes the file records and leaves the bytes`);
  }
}
