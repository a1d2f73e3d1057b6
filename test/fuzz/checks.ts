import { Errors } from '../../src/protocol/errors.js';

/** Every `status|message` pair of the SAMA catalog (src/protocol/errors.ts). */
const CATALOG: ReadonlySet<string> = new Set(Object.values(Errors).map((e) => `${e.status}|${e.message}`));

/**
 * Why an `error` value a client received is not acceptable, or undefined when it is. Acceptable:
 * a catalogued `{status, message}` pair other than 500, or a bare validator string (one line, no
 * stack trace). Anything else would be an internal error's text reaching the client.
 */
export function errorViolation(error: unknown): string | undefined {
  if (typeof error === 'string') {
    if (error.length === 0) return 'empty bare error';
    if (/\n\s*at |Error:|TypeError|RangeError|SQLITE|ECONN|postgres|undefined is not/i.test(error.slice(0, 2000))) return `bare error looks internal: ${error.slice(0, 200)}`;
    return undefined;
  }
  if (typeof error !== 'object' || error === null) return `error is ${JSON.stringify(error)}`;
  const keys = Object.keys(error).sort().join(',');
  if (keys !== 'message,status') return `error has keys ${keys}`;
  const { status, message } = error as { status: unknown; message: unknown };
  if (typeof status !== 'number' || status >= 500) return `error status ${String(status)}: ${String(message)}`;
  if (!CATALOG.has(`${status}|${String(message)}`)) return `uncatalogued error ${status} ${String(message).slice(0, 200)}`;
  return undefined;
}

/** Every `error` value in a server frame: `response.error` and `{<packet>: {error}}` (bare replies). */
export function errorsIn(frame: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const value of Object.values(frame)) {
    if (typeof value === 'object' && value !== null && 'error' in value) out.push((value).error);
  }
  return out;
}

/** True when a frame answers a request (a response, an ask or a bare error) rather than being an event. */
export function isReply(frame: Record<string, unknown>): boolean {
  return 'response' in frame || 'ask' in frame || errorsIn(frame).length > 0;
}

/** The ids a reply carries: `response.id`, `ask.mid`, a bare error's `id`. */
export function replyIds(frame: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(frame)) {
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    const id = key === 'ask' ? v.mid : key === 'response' || 'error' in v ? v.id : undefined;
    if (typeof id === 'string' || typeof id === 'number') out.push(String(id));
  }
  return out;
}
