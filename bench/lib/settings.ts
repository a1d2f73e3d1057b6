/** `name=value,name=value` (as `--server-env` and BENCH_PG_SETTINGS take them) as an object; empty text gives {}. */
export function parseSettings(text: string | undefined): Record<string, string> {
  return Object.fromEntries((text ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
