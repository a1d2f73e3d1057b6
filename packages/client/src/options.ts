import type { ReconnectOptions } from './backoff.js';
import type { EventName, Events, Requests } from './protocol.js';
import type { FetchLike, StorageLike, WebSocketConstructor } from './runtime.js';

/** Where the client is. */
export type ClientState =
  /** No session: before login, after logout, or after the session could not be renewed. */
  | 'idle'
  /** Opening the WebSocket. */
  | 'connecting'
  /** Logging in on an open WebSocket. */
  | 'authenticating'
  /** Logged in: requests and messages go out now. */
  | 'ready'
  /** The connection dropped; waiting to reconnect (requests and messages wait too). */
  | 'reconnecting'
  /** `close()` was called; the client is done. */
  | 'closed';

/** Where an event came from. */
export interface EventMeta {
  /** `live` as the server sent it; `catchup` read back after a reconnection (it was missed live). */
  readonly source: 'live' | 'catchup';
}

/** The listeners `on()` takes: one per server event (protocol.md §1.6), and the client's own. */
export type ClientListeners = { [K in EventName]: (event: Events[K], meta: EventMeta) => void } & {
  /** The client moved from `previous` to `state`. */
  state: (state: ClientState, previous: ClientState) => void;
  /** Something went wrong that no request is waiting for (a refused typing notice, a session that could not be resumed, a listener that threw…). */
  error: (error: Error) => void;
  /** A catch-up ended: `received` events had been missed live and were handed on. */
  catchup: (info: { since: number; received: number }) => void;
};

/** Catching up on events missed while the connection was down. */
export interface CatchUpOptions {
  /**
   * Also catch up after the first login, from this server time (ms since the epoch) — e.g. the
   * `catchUpCursor` an earlier run of the app saved. Without it only reconnections catch up.
   */
  readonly since?: number;
  /** How far before the estimated moment of the cut to start reading, ms (default 10,000). */
  readonly marginMs?: number;
  /** How many recently active conversations to re-read besides the changed ones (default 50). */
  readonly conversations?: number;
}

/** Settings of a client. Only `url` is required. */
export interface ParleyClientOptions {
  /** The WebSocket URL of the server, e.g. `wss://chat.example.com/`. */
  readonly url: string;
  /** The HTTP base URL for `/login`, `/logout` (default: `url` with ws→http and no path). */
  readonly httpUrl?: string;
  /** The organization to log in to when a login does not name one (default `"default"`). */
  readonly organizationId?: string;
  /** This device's id (default: a random id kept in `storage`, i.e. `localStorage` in browsers). */
  readonly deviceId?: string;
  /** The WebSocket class (default: the global one; on Node 20 pass `WebSocket` from the `ws` package). */
  readonly WebSocket?: WebSocketConstructor;
  /** The fetch function (default: the global one). */
  readonly fetch?: FetchLike;
  /** Where the generated device id is kept (default `localStorage` when available; null: nowhere). */
  readonly storage?: StorageLike | null;
  /** Default time a request may take, from the call to its reply, ms (default 15,000). */
  readonly requestTimeoutMs?: number;
  /** Reconnection pacing, or false to stay disconnected after a drop. */
  readonly reconnect?: ReconnectOptions | false;
  /** A `ping` after this long without a frame detects a dead connection the OS does not report, ms (default 20,000; 0 = off). */
  readonly keepAliveMs?: number;
  /** Catch-up after reconnections (default on), or false. */
  readonly catchUp?: CatchUpOptions | false;
  /** `fetch` credentials mode for `/login` in browsers (default `include`). */
  readonly credentials?: 'include' | 'same-origin' | 'omit';
}

/** Per-request settings. */
export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`; for `send()` the default is no limit. */
  readonly timeoutMs?: number;
  /** Aborting rejects the request with the signal's reason (what the server already did is not undone). */
  readonly signal?: AbortSignal;
}

/** A login by password (`user_login`, or `POST /login`). */
export interface PasswordLogin {
  readonly login: string;
  readonly password: string;
  readonly organizationId?: string;
}

/** A login with an access token from an earlier login (`connect`). */
export interface TokenLogin {
  readonly token: string;
}

/** A message to send: the `message` packet's body, its client `id` optional. */
export type OutgoingMessage = Requests['message'];
