/**
 * Command-line arguments of the admin CLI: `--name value`, `--name=value`, boolean `--name`,
 * positionals, and `--` to end options. Each command declares its flags; anything else is a
 * usage error (exit code 2), so a typo never silently changes what a command does.
 */

/** How one flag is read. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean' | 'int';
  readonly help: string;
  /** Placeholder shown in help, e.g. `<id>`. */
  readonly value?: string;
  /** A repeatable string flag collects every value (read with `all`). */
  readonly repeat?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A wrong command line: shown with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpecs = {
  json: { type: 'boolean', help: 'print one JSON document on stdout instead of text' },
  quiet: { type: 'boolean', help: 'no progress bars on stderr' },
  help: { type: 'boolean', help: 'show this help' },
};

/** Parsed arguments with typed accessors. */
export class ParsedArgs {
  constructor(
    readonly positionals: readonly string[],
    private readonly values: ReadonlyMap<string, readonly string[]>,
    private readonly flags: ReadonlySet<string>,
  ) {}

  /** The last value of a string flag. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : v[v.length - 1];
  }

  /** Every value of a repeatable flag, in order. */
  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  bool(name: string): boolean {
    return this.flags.has(name);
  }

  /** An int flag, or `fallback`; the parser has checked it is a whole number. */
  int(name: string, fallback: number): number {
    const v = this.string(name);
    return v === undefined ? fallback : Number(v);
  }

  /** Positional `i`, or a UsageError naming what is missing. */
  required(i: number, what: string): string {
    const v = this.positionals[i];
    if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
    return v;
  }
}

/** Parses `argv` against the command's flags plus the global ones. */
export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const all: FlagSpecs = { ...GLOBAL_FLAGS, ...specs };
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h') {
      flags.add('help');
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const spec = all[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      i += 1;
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (spec.type === 'int' && !/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
    const list = values.get(name) ?? [];
    if (!spec.repeat) list.length = 0;
    list.push(value);
    values.set(name, list);
  }
  return new ParsedArgs(positionals, values, flags);
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `2h`, `7d`, `1w` (or plain seconds) → milliseconds; a UsageError otherwise. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 90s, 15m, 2h, 7d or 1w, got "${text}"`);
  return Number(m[1]) * (UNITS[m[2] === '' ? 's' : (m[2] ?? 's')] ?? 1000);
}
