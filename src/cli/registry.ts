import { GLOBAL_FLAGS, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { DOCTOR } from './commands/doctor.js';
import { FILE_COMMANDS } from './commands/files.js';
import { ORG_COMMANDS } from './commands/orgs.js';
import { PUSH_COMMANDS } from './commands/push.js';
import { USER_COMMANDS } from './commands/users.js';
import { runImportSama } from './import-sama.js';

/**
 * Every admin command, one row each; `npm run admin -- <path...>` finds it here and `--help`
 * is rendered from it. An area's commands live in commands/<area>.ts.
 */
export const COMMANDS: readonly Command[] = [
  ...ORG_COMMANDS,
  ...USER_COMMANDS,
  ...PUSH_COMMANDS,
  ...FILE_COMMANDS,
  DOCTOR,
  // Parses its own arguments and prints its own summary (src/cli/import-sama.ts).
  { kind: 'raw', path: ['import-sama'], summary: 'import a SAMA database dump (see import-sama --help)', usage: '<dump folder> [options]', run: (argv, io) => runImportSama(argv, io) },
];

/** The areas in registry order, with a one-line description each. */
const AREAS: Readonly<Record<string, string>> = {
  org: 'organizations',
  user: 'users of an organization',
  push: 'the push outbox',
  files: 'uploaded files',
};

/** The command `argv` names (two words, else one) and the arguments after its path. */
export function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const words of [2, 1]) {
    const path = argv.slice(0, words);
    const command = COMMANDS.find((c) => c.path.length === words && c.path.every((w, i) => w === path[i]));
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

/** True when `word` names an area that has sub-commands. */
export function isArea(word: string | undefined): boolean {
  return word !== undefined && COMMANDS.some((c) => c.path.length > 1 && c.path[0] === word);
}

const PROGRAM = 'npm run admin --';

/** The overview: areas and their commands. */
export function overviewHelp(): string {
  const lines = [`usage: ${PROGRAM} <area> <command> [arguments] [--json] [--quiet]`, ''];
  for (const [area, what] of Object.entries(AREAS)) {
    const verbs = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === area).map((c) => c.path[1] ?? '');
    lines.push(`  ${area.padEnd(12)} ${verbs.join(', ')}  (${what})`);
  }
  for (const c of COMMANDS.filter((c) => c.path.length === 1)) lines.push(`  ${(c.path[0] ?? '').padEnd(12)} ${c.summary}`);
  lines.push(
    '',
    `${PROGRAM} <area> --help lists an area's commands; ${PROGRAM} <area> <command> --help explains one.`,
    'Settings come from the environment (and CONFIG_FILE) as for the server, so the CLI works on the',
    'same store. --json prints one JSON document on stdout; progress and warnings go to stderr.',
  );
  return lines.join('\n');
}

/** The commands of one area. */
export function areaHelp(area: string): string {
  const commands = COMMANDS.filter((c) => c.path[0] === area);
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [`${area}: ${AREAS[area] ?? ''}`, '', ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`), '', `${PROGRAM} ${area} <command> --help explains one.`].join('\n');
}

function flagLines(flags: FlagSpecs): string[] {
  const entries = Object.entries(flags).map(([name, f]) => [`--${name}${f.value === undefined ? '' : ` ${f.value}`}`, f.help] as const);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, help]) => `  ${k.padEnd(width)}  ${help}`);
}

/** One command's usage, explanation and options. */
export function commandHelp(command: Command): string {
  const lines = [`usage: ${PROGRAM} ${command.path.join(' ')} ${command.usage}`.trimEnd(), '', `${command.summary}.`];
  if (command.details !== undefined) lines.push('', command.details);
  if (command.kind !== 'raw') lines.push('', 'options:', ...flagLines({ ...command.flags, ...GLOBAL_FLAGS }));
  return lines.join('\n');
}

/** The usage line of a command (shown with usage errors). */
export function usageLine(command: Command): string {
  return `usage: ${PROGRAM} ${command.path.join(' ')} ${command.usage}`.trimEnd();
}
