import { backoffDelay } from './backoff.js';
import { catchUp } from './catch-up.js';
import { Emitter } from './emitter.js';
import { ConnectionError, ParleyError } from './errors.js';
import { EventFeed } from './feed.js';
import { guard } from './guard.js';
import { httpLogin, type HttpCredentials, type HttpSettings } from './http.js';
import type { ClientListeners, ClientState, OutgoingMessage, ParleyClientOptions, RequestOptions } from './options.js';
import { Outbox } from './outbox.js';
import type { EventName, User } from './protocol.js';
import { defaultStorage, globalWebSocket, inBrowser, persistentDeviceId, randomId, tokenUserId, type WebSocketConstructor } from './runtime.js';
import { Wire } from './wire.js';

/**
 * The connection and session machinery under ParleyClient: one WebSocket at a time (Wire), the
 * login state, reconnection with backoff, resuming the session, the keep-alive and the
 * catch-up. ParleyClient (client.ts) adds the public API on top.
 */
export class Session {
  /** This device's id (sent with every login). */
  readonly deviceId: string;
  private readonly opts: ParleyClientOptions;
  private readonly WebSocketClass: WebSocketConstructor;
  protected readonly http: HttpSettings;
  protected readonly listeners: Emitter<ClientListeners>;
  protected readonly outbox = new Outbox();
  protected readonly feed: EventFeed;
  protected wire: Wire | undefined;
  private opening: Promise<Wire> | undefined;
  protected current: ClientState = 'idle';
  private readonly idPrefix = `q${randomId().slice(0, 8)}.`;
  private counter = 0;
  protected accessToken: string | undefined;
  protected readonly jar: HttpCredentials = {};
  protected httpSession = false;
  /** True from a successful login until logout/close: drops are followed by reconnections. */
  protected keepSession = false;
  protected me: User | undefined;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private pinging = false;
  /** Server time from which the next catch-up reads (undefined: nothing to catch up). */
  protected since: number | undefined;
  /** Catch-ups started (the latest one alone releases the held live events). */
  private catchUps = 0;


  constructor(options: ParleyClientOptions) {
    this.opts = options;
    const ws = options.WebSocket ?? globalWebSocket();
    if (ws === undefined) throw new TypeError('no WebSocket class: pass options.WebSocket (e.g. WebSocket from the "ws" package on Node 20)');
    this.WebSocketClass = ws;
    const fetchFn = options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
    this.http = {
      fetch: fetchFn ?? (() => Promise.reject(new TypeError('no fetch function: pass options.fetch'))),
      baseUrl: (options.httpUrl ?? httpBase(options.url)).replace(/\/+$/, ''),
      browserCookies: inBrowser(),
      credentials: options.credentials ?? 'include',
    };
    this.deviceId = options.deviceId ?? persistentDeviceId(options.storage === null ? undefined : (options.storage ?? defaultStorage()));
    this.listeners = new Emitter<ClientListeners>((err) => this.fail(err));
    const emit = this.listeners.emit.bind(this.listeners) as (name: EventName, body: unknown, meta: { source: 'live' | 'catchup' }) => void;
    this.feed = new EventFeed(emit, options.catchUp === false ? 0 : (options.catchUp?.conversations ?? 50));
    if (options.catchUp !== false && options.catchUp?.since !== undefined) this.since = options.catchUp.since;
  }

  protected get organization(): string {
    return this.opts.organizationId ?? 'default';
  }

  protected get margin(): number {
    return this.opts.catchUp === false ? 0 : (this.opts.catchUp?.marginMs ?? 10_000);
  }

  protected timeout(options: RequestOptions): number {
    return options.timeoutMs ?? this.opts.requestTimeoutMs ?? 15_000;
  }

  protected nextId(): string {
    return `${this.idPrefix}${String(++this.counter)}`;
  }

  protected messageId(): string {
    return `${this.deviceId.slice(0, 16)}:${Date.now().toString(36)}:${randomId().slice(0, 12)}`;
  }

  protected assertOpen(): void {
    if (this.current === 'closed') throw new ConnectionError('closed', 'the client was closed');
  }

  /** Runs a login; on success the session is kept up from now on, on failure the client is idle unless a session goes on. */
  protected async loggingIn(run: () => Promise<User>, http: boolean): Promise<User> {
    this.assertOpen();
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    try {
      const user = await run();
      this.httpSession = http;
      this.established(user);
      return user;
    } catch (err) {
      this.feed.release();
      if (!this.keepSession && this.current !== 'closed') this.setState('idle');
      throw err;
    }
  }

  /** The open wire, opening one (state connecting → authenticating) if there is none. */
  protected async connected(options: RequestOptions): Promise<Wire> {
    if (this.wire?.open) return this.wire;
    if (!this.opening) {
      this.setState('connecting');
      this.opening = this.openWire().finally(() => {
        this.opening = undefined;
      });
    }
    let cleanup = (): void => undefined;
    const wire = await Promise.race([this.opening, new Promise<never>((_, reject) => (cleanup = guard(options.signal, this.timeout(options), reject)))]).finally(() => cleanup());
    if (this.current === 'connecting') this.setState('authenticating');
    return wire;
  }

  private async openWire(): Promise<Wire> {
    const wire: Wire = await Wire.open(this.WebSocketClass, this.opts.url, {
      ask: (ask) => {
        const sent = this.outbox.acknowledge(ask);
        // The server does not deliver a message back to the device that sent it; the catch-up must not either.
        if (sent) this.feed.own(ask.server_mid, ask.t, sent.cid);
        return sent !== undefined;
      },
      refused: (id, err) => this.outbox.refuse(id, err),
      event: (name, body, raw) => this.feed.live(name, body, raw),
      error: (err) => this.fail(err),
      closed: () => this.closed(wire),
    });
    this.wire = wire;
    return wire;
  }

  /** Bookkeeping after a login or a resumed session: ready, the outbox out, a catch-up if one is due. */
  private established(user: User): void {
    this.me = user;
    this.keepSession = true;
    this.attempt = 0;
    this.setState('ready');
    this.outbox.flush((b) => this.transmit(b));
    this.startKeepAlive();
    const since = this.opts.catchUp === false ? undefined : this.since;
    if (since !== undefined) void this.runCatchUp(since);
    else this.feed.release();
  }

  protected transmit(body: OutgoingMessage & { id: string }): boolean {
    if (this.current !== 'ready' || !this.wire?.open) return false;
    this.wire.send({ request: { message: body, id: body.id } });
    return true;
  }

  /** The wire closed or was dropped: reconnect if the session should go on. */
  private closed(wire: Wire): void {
    if (this.wire !== wire) return;
    this.wire = undefined;
    this.stopKeepAlive();
    this.outbox.unsent();
    if (this.current === 'ready' && this.opts.catchUp !== false) {
      // Catch up from shortly before the last sign of life of this connection.
      const cut = this.feed.serverTime(wire.lastFrameAt) - this.margin;
      this.since = this.since === undefined ? cut : Math.min(this.since, cut);
    }
    this.feed.release();
    if (this.current === 'closed' || this.current === 'idle') return;
    if (this.keepSession && this.opts.reconnect !== false) this.scheduleReconnect();
    else this.setState('idle');
  }

  private scheduleReconnect(): void {
    const pacing = this.opts.reconnect === false ? {} : (this.opts.reconnect ?? {});
    if (this.attempt >= (pacing.maxAttempts ?? Infinity)) {
      this.keepSession = false;
      this.setState('idle');
      this.fail(new ConnectionError('unreachable', `gave up reconnecting after ${String(this.attempt)} attempts`));
      return;
    }
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.resume();
    }, backoffDelay(this.attempt++, pacing));
  }

  /** One reconnection attempt: open, resume the session with the token (renewed over HTTP if need be), go on. */
  private async resume(): Promise<void> {
    if (this.current !== 'reconnecting') return;
    let wire: Wire;
    try {
      wire = await this.connected({});
    } catch {
      // The socket never opened (no 'closed' for it): try again later.
      if (this.keepSession && (this.current as ClientState) === 'connecting') this.scheduleReconnect();
      return;
    }
    this.holdForCatchUp();
    try {
      this.established(await this.resumeSession(wire));
    } catch (err) {
      if (err instanceof ParleyError) {
        // The server refused the session: stop; the outbox is kept for the next login.
        this.keepSession = false;
        wire.drop('session refused');
        this.setState('idle');
        this.fail(err);
      } else {
        wire.drop('resume failed');
      }
    }
  }

  private async resumeSession(wire: Wire): Promise<User> {
    const token = this.accessToken;
    if (token === undefined) throw new ParleyError(401, 'Unauthorized.', 'connect');
    try {
      await wire.call('connect', { token, device_id: this.deviceId }, this.nextId(), this.timeout({}));
    } catch (err) {
      if (!(err instanceof ParleyError) || !this.httpSession) throw err;
      // An expired access token: a new one from the refresh cookie.
      const reply = await httpLogin(this.http, { device_id: this.deviceId }, token, this.jar);
      this.accessToken = reply.access_token;
      await wire.call('connect', { token: reply.access_token, device_id: this.deviceId }, this.nextId(), this.timeout({}));
      return reply.user;
    }
    return this.me ?? (await this.self(wire, token, {}));
  }

  /** Reads the logged-in user back by the id in the token. */
  protected async self(wire: Wire, token: string, options: RequestOptions): Promise<User> {
    const id = tokenUserId(token);
    const user = id === undefined ? undefined : (await wire.call('get_users_by_ids', { ids: [id] }, this.nextId(), this.timeout(options), options.signal)).users[0];
    if (!user) throw new ParleyError(422, 'The token has expired.', 'connect');
    return user;
  }

  protected endSession(state: 'idle' | 'closed', reason: ConnectionError): void {
    this.keepSession = false;
    this.httpSession = false;
    this.accessToken = undefined;
    delete this.jar.refreshCookie;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.setState(state);
    this.wire?.drop(reason.message);
    this.outbox.rejectAll(reason);
    this.me = undefined;
  }

  /** When a catch-up will follow the login, live events wait from now on, so listeners see missed ones first. */
  protected holdForCatchUp(): void {
    if (this.opts.catchUp !== false && this.since !== undefined) this.feed.hold();
  }

  /**
   * Reads what was missed since `since` on the current wire, holding live events back meanwhile.
   * It counts as done only if the wire is still up at the end (a drop in between may have lost
   * more: the next connection reads again from the earlier moment). A failure on a live wire (a
   * timeout, a server error) is retried with backoff, a few times.
   */
  private async runCatchUp(since: number, failures = 0): Promise<void> {
    const wire = this.wire;
    if (!wire?.open) return;
    const run = ++this.catchUps;
    this.feed.hold();
    let retry = false;
    try {
      const received = await catchUp(
        {
          request: (name, body) => wire.call(name, body, this.nextId(), this.timeout({})),
          deliver: (name, body, raw) => this.feed.caughtUp(name, body, raw),
          tracked: () => this.feed.tracked(),
        },
        since,
      );
      if (this.wire !== wire || !wire.open) return;
      if (this.since === since) this.since = undefined;
      this.listeners.emit('catchup', { since, received });
    } catch (err) {
      if (this.wire !== wire || !wire.open) return;
      retry = failures < 4;
      if (!retry || !(err instanceof ConnectionError)) this.fail(err);
      if (retry) setTimeout(() => void this.runCatchUp(since, failures + 1), backoffDelay(failures + 1, { initialDelayMs: 1000 }));
    } finally {
      // The latest catch-up alone lets held events go (a retry keeps holding until it is done).
      if (run === this.catchUps && !retry) this.feed.release();
    }
  }

  private startKeepAlive(): void {
    this.stopKeepAlive();
    const every = this.opts.keepAliveMs ?? 20_000;
    if (every <= 0) return;
    this.keepAliveTimer = setInterval(() => {
      const wire = this.wire;
      if (!wire || this.current !== 'ready' || this.pinging || Date.now() - wire.lastFrameAt < every) return;
      this.pinging = true;
      wire.call('ping', {}, this.nextId(), every).then(
        () => {
          this.pinging = false;
        },
        () => {
          this.pinging = false;
          wire.drop('keep-alive timeout');
        },
      );
    }, every);
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.pinging = false;
  }

  private setState(next: ClientState): void {
    const previous = this.current;
    if (previous === next || previous === 'closed') return;
    this.current = next;
    this.listeners.emit('state', next, previous);
  }

  /** The wire once the session is ready; rejects at once when there is no session to wait for. */
  protected whenReady(deadline: number, signal: AbortSignal | undefined): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.current === 'ready' && this.wire) {
          resolve(this.wire);
          return true;
        }
        if (this.current === 'closed' || this.current === 'idle') {
          reject(this.current === 'closed' ? new ConnectionError('closed', 'the client was closed') : new ConnectionError('unauthenticated', 'not logged in'));
          return true;
        }
        return false;
      };
      if (check()) return;
      const off = this.listeners.on('state', () => {
        if (check()) done();
      });
      const cleanup = guard(signal, Math.max(1, deadline - Date.now()), (err) => {
        done();
        reject(err instanceof ConnectionError && err.code === 'timeout' ? new ConnectionError('timeout', 'not connected within the request timeout') : err);
      });
      const done = (): void => {
        off();
        cleanup();
      };
    });
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listeners.has('error')) this.listeners.emit('error', error);
  }
}

/** `ws(s)://host:port/path` → `http(s)://host:port`. */
function httpBase(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}
