import { CONFIG_DEFINITIONS } from '../src/config/config.js';

/**
 * Prints the README's configuration table from the config definitions, so the two cannot drift
 * (test/docs/readme.test.ts fails when README.md holds a different table).
 * Usage: npx tsx scripts/config-table.ts
 */
export function configTable(): string {
  const rows = Object.values(CONFIG_DEFINITIONS).map((d) => {
    const names = d.env.map((n) => `\`${n}\``).join(', ');
    const def = d.default === undefined ? '—' : d.env[0] === 'HOSTNAME' ? 'OS host name' : `\`${String(d.default)}\``;
    return `| ${names} | ${def} | ${d.doc} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) process.stdout.write(`${configTable()}\n`);
