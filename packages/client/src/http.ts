import { ParleyError } from './errors.js';
import type { FetchLike } from './runtime.js';
import type { User } from './protocol.js';

/** The reply of `POST /login` (protocol.md §10.2). */
export interface HttpLoginReply {
  readonly user: User;
  readonly access_token: string;
  /** When the access token expires, ms since the epoch. */
  readonly expired_at: number;
}

/** How the client speaks HTTP to Parley. */
export interface HttpSettings {
  readonly fetch: FetchLike;
  /** `http(s)://host:port` of the server. */
  readonly baseUrl: string;
  /**
   * True where the platform keeps cookies itself (a browser: the refresh cookie is HttpOnly and
   * sent with `credentials: 'include'`); false where the client must keep the refresh cookie
   * itself (Node.js).
   */
  readonly browserCookies: boolean;
  /** `fetch` credentials mode in browsers (default `include`; same-origin pages may use `same-origin`). */
  readonly credentials: 'include' | 'same-origin' | 'omit';
}

/** What a login by HTTP used and got: the refresh cookie is kept here outside browsers. */
export interface HttpCredentials {
  /** The `refresh_token` cookie value as the server set it (Node.js only; browsers keep it). */
  refreshCookie?: string;
}

const COOKIE = 'refresh_token';

/**
 * `POST /login`: by password when `body` has login and password, else by the Bearer access token
 * and/or the refresh cookie. Every login rotates both tokens of the device; outside browsers the
 * new refresh cookie is captured into `jar`.
 */
export async function httpLogin(http: HttpSettings, body: Record<string, unknown>, bearer: string | undefined, jar: HttpCredentials, signal?: AbortSignal): Promise<HttpLoginReply> {
  const res = await post(http, '/login', body, bearer, jar, signal);
  const reply = (await res.json()) as HttpLoginReply;
  capture(res, jar);
  return reply;
}

/** `POST /logout`: ends the device's session (needs the access token and the refresh cookie). */
export async function httpLogout(http: HttpSettings, bearer: string, jar: HttpCredentials, signal?: AbortSignal): Promise<void> {
  const res = await post(http, '/logout', {}, bearer, jar, signal);
  capture(res, jar);
}

async function post(http: HttpSettings, path: string, body: Record<string, unknown>, bearer: string | undefined, jar: HttpCredentials, signal: AbortSignal | undefined): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  if (!http.browserCookies && jar.refreshCookie !== undefined) headers.cookie = `${COOKIE}=${jar.refreshCookie}`;
  const init: RequestInit = { method: 'POST', headers, body: JSON.stringify(body) };
  if (http.browserCookies) init.credentials = http.credentials;
  if (signal) init.signal = signal;
  const res = await http.fetch(`${http.baseUrl}${path}`, init);
  if (!res.ok) throw new ParleyError(res.status, (await res.text()) || res.statusText, `POST ${path}`);
  return res;
}

/** Keeps the refresh cookie a response sets (only readable outside browsers). */
function capture(res: Response, jar: HttpCredentials): void {
  const headers = res.headers as Headers & { getSetCookie?: () => string[] };
  const all = headers.getSetCookie?.() ?? [headers.get('set-cookie') ?? ''];
  for (const line of all) {
    const m = new RegExp(`(?:^|,\\s*)${COOKIE}=([^;]*)`).exec(line);
    if (!m) continue;
    const value = m[1] ?? '';
    if (value === '' || /max-age=0/i.test(line)) delete jar.refreshCookie;
    else jar.refreshCookie = value;
  }
}
