import { ConnectionError, ParleyError } from './errors.js';
import { guard } from './guard.js';
import { EVENT_NAMES, type Ask, type EventName, type PacketName, type Replies, type Requests } from './protocol.js';
import { OPEN, type SocketLike, type WebSocketConstructor } from './runtime.js';

/** What a Wire hands to its owner. */
export interface WireHandlers {
  /** An `ask` (a message's acknowledgement) nobody on this wire waits for; true when the owner took it. */
  ask(ask: Ask): boolean;
  /** A refusal of a message sent with this client id (`{response:{id, error}}` or a bare error); true when taken. */
  refused(id: string, err: ParleyError): boolean;
  /** A server event, with the frame's text (the same bytes the operations log would hold). */
  event(name: EventName, body: unknown, raw: string): void;
  /** An error nobody waits for. */
  error(err: Error): void;
  /** The socket closed or was dropped; every request on it has been rejected. */
  closed(code: number | undefined): void;
}

interface Pending {
  readonly packet: string;
  resolve(reply: unknown): void;
  reject(err: Error): void;
  cleanup(): void;
}

const EVENTS = new Set<string>(EVENT_NAMES);

/** A request id as the server echoes it (string or number), or undefined. */
function wireId(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * One WebSocket and the requests on it: frames out, replies matched to requests by id, events
 * and unclaimed acknowledgements handed to the owner. When the socket ends, every request still
 * waiting is rejected with ConnectionError('disconnected'): it may or may not have been done.
 */
export class Wire {
  private readonly pending = new Map<string, Pending>();
  private ended = false;
  /** Local time of the last frame received (or of opening). */
  lastFrameAt = Date.now();

  private constructor(
    private readonly socket: SocketLike,
    private readonly handlers: WireHandlers,
  ) {}

  /** Opens a socket to `url`; resolves once it is open, rejects with ConnectionError('unreachable') when it closes first. */
  static open(WebSocketClass: WebSocketConstructor, url: string, handlers: WireHandlers): Promise<Wire> {
    return new Promise((resolve, reject) => {
      let socket: SocketLike;
      try {
        socket = new WebSocketClass(url) as SocketLike;
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const wire = new Wire(socket, handlers);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        wire.lastFrameAt = Date.now();
        resolve(wire);
      };
      socket.onmessage = (ev) => wire.onFrame(ev.data);
      socket.onerror = () => {
        // 'close' follows and reports.
      };
      socket.onclose = (ev) => {
        if (!opened) {
          wire.ended = true;
          reject(new ConnectionError('unreachable', `could not connect to ${url}`));
          return;
        }
        wire.end(ev.code);
      };
    });
  }

  /** True while the socket is open and not dropped. */
  get open(): boolean {
    return !this.ended && this.socket.readyState === OPEN;
  }

  /**
   * Sends a request as `{"request":{name: body, "id": id}}` and resolves with the reply's fields
   * (the `ask` for `message` and `system_message`, whose id is the body's), or rejects with the
   * server's ParleyError, a timeout, the signal's reason, or 'disconnected'.
   */
  call<K extends PacketName>(name: K, body: Requests[K], id: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<Replies[K]> {
    return new Promise<Replies[K]>((resolve, reject) => {
      if (!this.open) {
        reject(new ConnectionError('disconnected', `not connected: ${name} was not sent`));
        return;
      }
      const cleanup = guard(signal, timeoutMs, (err) => {
        this.pending.delete(id);
        reject(err instanceof ConnectionError && err.code === 'timeout' ? new ConnectionError('timeout', `no reply to ${name} within ${String(timeoutMs)} ms`) : err);
      });
      this.pending.set(id, { packet: name, resolve: (r) => resolve(r as Replies[K]), reject, cleanup });
      this.send({ request: { [name]: body, id } });
    });
  }

  /** Sends one frame (nothing when the socket is not open). */
  send(frame: unknown): void {
    if (!this.open) return;
    try {
      this.socket.send(JSON.stringify(frame));
    } catch (err) {
      this.handlers.error(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Ends the socket now, without waiting for a close handshake (a dead peer would never answer one). */
  drop(reason: string): void {
    if (this.ended) return;
    const s = this.socket;
    s.onmessage = null;
    s.onopen = null;
    s.onclose = null;
    s.onerror = () => undefined;
    const terminate = (s as { terminate?: () => void }).terminate;
    try {
      if (typeof terminate === 'function') terminate.call(s);
      else s.close(4000, reason);
    } catch {
      // already closed
    }
    this.end(4000);
  }

  private end(code: number | undefined): void {
    if (this.ended) return;
    this.ended = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(new ConnectionError('disconnected', `the connection closed (${String(code ?? 'no code')}) before ${p.packet} was answered`));
    }
    this.handlers.closed(code);
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = Date.now();
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.handlers.error(new Error(`the server sent a frame that is not JSON: ${text.slice(0, 100)}`));
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const f = frame as Record<string, unknown>;
    if (typeof f.response === 'object' && f.response !== null) this.onResponse(f.response as Record<string, unknown>);
    else if (typeof f.ask === 'object' && f.ask !== null) this.onAsk(f.ask as Ask);
    else this.onPacket(f, text);
  }

  private onResponse(r: Record<string, unknown>): void {
    const id = wireId(r.id);
    if (id === undefined) {
      // The server's watchdog ping ({"response":{"ping":{}}}) needs no answer; an error without
      // an id answers a frame the server could not read.
      if (r.error !== undefined) this.handlers.error(ParleyError.fromWire(r.error, 'response'));
      return;
    }
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      p.cleanup();
      if (r.error !== undefined) p.reject(ParleyError.fromWire(r.error, p.packet));
      else {
        const { id: _id, ...reply } = r;
        p.resolve(reply);
      }
      return;
    }
    if (r.error !== undefined) this.handlers.refused(id, ParleyError.fromWire(r.error, 'message'));
  }

  private onAsk(ask: Ask): void {
    const mid = wireId(ask.mid);
    if (mid === undefined || this.handlers.ask(ask)) return;
    const p = this.pending.get(mid);
    if (!p) return;
    this.pending.delete(mid);
    p.cleanup();
    p.resolve(ask);
  }

  /** A top-level packet: an event, or a bare packet's error (protocol.md §1.4), e.g. a refused typing notice. */
  private onPacket(f: Record<string, unknown>, text: string): void {
    const [name] = Object.keys(f);
    if (name === undefined) return;
    const body = f[name];
    if (typeof body === 'object' && body !== null && 'error' in body) {
      const { id, error } = body as { id?: unknown; error: unknown };
      const err = ParleyError.fromWire(error, name);
      const key = wireId(id);
      if (key === undefined || !this.handlers.refused(key, err)) this.handlers.error(err);
      return;
    }
    if (EVENTS.has(name)) this.handlers.event(name as EventName, body, text);
  }
}
