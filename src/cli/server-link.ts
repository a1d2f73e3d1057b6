import type { Config } from '../config/config.js';
import type { FlagSpecs, ParsedArgs } from './args.js';

/** Flags of the commands that may ask a running server to end sessions. */
export const SERVER_FLAGS: FlagSpecs = {
  server: { type: 'string', value: '<url>', help: 'the running server to ask to close live sockets (default: this machine at the configured APP_PORT)' },
  'no-server': { type: 'boolean', help: 'do not contact a running server' },
};

/** What asking the server gave. */
export interface SessionsEnded {
  /** The server answered and closed what it had (or there was nothing to close). */
  readonly ok: boolean;
  /** The address asked, if any. */
  readonly url?: string;
  /** Users whose sockets the server closed (it counts those that were online). */
  readonly users?: number;
  /** One sentence for the operator. */
  readonly message: string;
}

export interface SessionsRequest {
  readonly organizationId: string;
  readonly userId?: string;
  readonly reason: 'revoked' | 'password' | 'deleted';
}

/**
 * The admin API of a running server, for what only the server can do: close sockets it holds
 * and forget its cached reads after the CLI changed the store (POST /admin/sessions/end).
 */
export interface ServerLink {
  endSessions(req: SessionsRequest): Promise<SessionsEnded>;
}

const LOOPBACK = new Set(['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost']);

/** Where the server of this configuration listens, as seen from this machine; undefined when unknowable (port 0). */
function defaultUrl(config: Config): string | undefined {
  if (config.port === 0) return undefined;
  const host = LOOPBACK.has(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${String(config.port)}`;
}

/** Connection refused and the like: no server is running there. */
function unreachable(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'ECONNRESET';
}

/** The server link the flags and config describe. */
export function serverLink(config: Config, args: ParsedArgs, timeoutMs = 5000): ServerLink {
  return {
    async endSessions(req) {
      if (args.bool('no-server')) return { ok: false, message: 'no server asked (--no-server): sockets already open on a running server stay open until they disconnect' };
      const url = args.string('server')?.replace(/\/+$/, '') ?? defaultUrl(config);
      if (url === undefined) return { ok: false, message: 'no server address known (APP_PORT is 0; pass --server <url>): sockets already open on a running server stay open until they disconnect' };
      const key = config.httpAdminApiKey;
      if (key === undefined) return { ok: false, url, message: 'HTTP_ADMIN_API_KEY is not set, so a running server cannot be asked to close live sockets: they stay open until they disconnect' };
      let res: Response;
      try {
        res = await fetch(`${url}/admin/sessions/end`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'admin-api-key': key },
          body: JSON.stringify(req),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        if (unreachable(err)) return { ok: true, url, users: 0, message: `no server is running at ${url}: no live sockets to close` };
        return { ok: false, url, message: `could not ask the server at ${url} to close live sockets (${err instanceof Error ? err.message : String(err)}): they stay open until they disconnect` };
      }
      const text = await res.text();
      if (res.status !== 200) return { ok: false, url, message: `the server at ${url} refused to close live sockets (${String(res.status)} ${text.slice(0, 200)}): they stay open until they disconnect` };
      const users = (JSON.parse(text) as { users?: number }).users ?? 0;
      return { ok: true, url, users, message: `the server at ${url} closed the live sockets of ${String(users)} user${users === 1 ? '' : 's'} and forgot its cached reads` };
    },
  };
}
