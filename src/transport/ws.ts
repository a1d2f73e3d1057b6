import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { encodeError } from '../protocol/envelope.js';
import { Errors, samaError } from '../protocol/errors.js';
import { FRAME_HEAD_BYTES, readFrameHead } from '../protocol/frame-head.js';
import type { TrustedProxies } from './client-address.js';
import { ConnectionGate, type Refusal } from './connection-gate.js';
import type { Dispatcher } from './dispatch.js';
import { FrameScheduler } from './frame-lanes.js';
import type { Metrics } from './metrics.js';
import type { Connection, LocalSessions } from './sessions.js';
import { SpreadTimer } from './spread-timer.js';

export interface WsOptions {
  /**
   * Largest frame handled. A longer one up to twice this is read and answered 413 with the request
   * id its start names (the socket stays open); beyond twice this the WebSocket layer refuses it
   * from its header, never reading it: 413 without an id, then close 1009.
   */
  readonly maxFrameBytes: number;
  /** A socket whose unsent backlog passes this when something more is sent is closed (1013). */
  readonly maxBufferedBytes: number;
  /** Unsent output above which a socket's next frames wait for it to drain. */
  readonly outputBudgetBytes: number;
  /** Requests of one socket handled at once; more wait (and the socket is not read meanwhile). */
  readonly maxInFlight: number;
  /** Ping interval in ms; a socket silent since the previous ping is terminated. 0 = off. */
  readonly heartbeatIntervalMs: number;
  /** SAMA's watchdog: every this many ms each authenticated socket gets WATCHDOG_FRAME (protocol.md §3.12). 0 = off. */
  readonly watchdogPingIntervalMs: number;
  /** A socket with no session this long after opening (or after logging out) is closed with 4003 (checked by a sweep, so up to a second later). 0 = off. */
  readonly authTimeoutMs: number;
  /** Caps on open connections (0 = none); beyond them upgrades are answered 503 / 429. */
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** Peers allowed to name the client's address in X-Forwarded-For. */
  readonly proxies: TrustedProxies;
}

/** SAMA's server-sent keep-alive frame (see WsOptions.watchdogPingIntervalMs). */
const WATCHDOG_FRAME = JSON.stringify({ response: { ping: {} } });

/** A connection as ws.ts tracks it: since when it has had no session (-1: it has one). */
interface WsConnection extends Connection {
  unboundSince: number;
}

/** The WebSocket side of the shared HTTP port. */
export interface WsTransport {
  /** Closes every socket with 1001 and stops accepting upgrades. */
  close(): Promise<void>;
  readonly connectionCount: number;
}

/** Close code and reason of a socket that did not log in in time (Parley's own code). */
export const AUTH_TIMEOUT_CLOSE = { code: 4003, reason: 'authentication timeout' } as const;

const TOO_LARGE_REPLY = encodeError(undefined, samaError(Errors.payloadTooLarge));

/**
 * The ws library closes a socket with 1009 as soon as a frame header announces more than
 * `maxPayload` (twice WS_MAX_FRAME_BYTES; nothing of the payload is kept). This subclass sends the SAMA 413 reply just
 * before that close frame, so clients still see `Payload too large.`.
 */
class FrameLimitedSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    if (code === 1009 && this.readyState === WebSocket.OPEN) {
      this.send(TOO_LARGE_REPLY);
      super.close(1009, Errors.payloadTooLarge.message);
      return;
    }
    super.close(code, data);
  }
}

const REFUSALS: Record<Refusal, { status: string; body: string }> = {
  total: { status: '503 Service Unavailable', body: 'Too many connections.' },
  shutting_down: { status: '503 Service Unavailable', body: 'Server shutting down.' },
  per_address: { status: '429 Too Many Requests', body: Errors.tooManyRequests.message },
};

/** Answers a refused upgrade with a plain HTTP error and closes the TCP socket. */
function refuse(socket: Duplex, refusal: Refusal, log: Logger): void {
  const { status, body } = REFUSALS[refusal];
  socket.on('error', (err) => log.debug({ err }, 'refused socket failed'));
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nRetry-After: 10\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`);
}

/**
 * Attaches the WebSocket API to `server` (any path upgrades, protocol.md §1.1). Each socket's
 * frames go through a lane (frame-lanes.ts): bounded in flight, bounded output, fair between
 * sockets; replies are matched by id on the client side.
 */
export function attachWebSocket(server: Server, dispatcher: Dispatcher, sessions: LocalSessions, metrics: Metrics, log: Logger, opts: WsOptions): WsTransport {
  // A frame over the limit by less than the limit again is read, so its 413 can carry its id;
  // the memory this costs per socket is bounded by the in-flight cap of the lanes.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * opts.maxFrameBytes, perMessageDeflate: false, clientTracking: true, WebSocket: FrameLimitedSocket });
  const gate = new ConnectionGate({ maxTotal: opts.maxConnections, maxPerAddress: opts.maxConnectionsPerAddress });
  const scheduler = new FrameScheduler(
    { maxInFlight: opts.maxInFlight, outputBudgetBytes: opts.outputBudgetBytes },
    { delayed: (reason) => metrics.framesDelayed.inc({ reason }), dropped: (n) => metrics.framesDropped.inc({ reason: 'socket_closed' }, n) },
  );
  const addresses = new WeakMap<IncomingMessage, string>();
  let nextId = 1;
  let accepting = true;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const address = opts.proxies.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const refusal = accepting ? gate.take(address) : 'shutting_down';
    if (refusal !== undefined) {
      metrics.connectionsRefused.inc({ reason: refusal });
      refuse(socket, refusal, log);
      return;
    }
    socket.once('close', () => gate.release(address));
    addresses.set(req, address);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  // Heartbeat: once an interval, each socket that did not answer its previous ping is terminated
  // (its 'close' then unbinds the session, so presence goes offline), the rest are pinged again. A
  // client that stopped reading never sees the ping, so this also ends sockets stuck on
  // backpressure. The sockets are spread over the interval (SpreadTimer): each is pinged a whole
  // interval after its previous ping, and no turn of the event loop pings them all.
  const alive = new WeakSet<WebSocket>();
  const heartbeat =
    opts.heartbeatIntervalMs > 0
      ? new SpreadTimer<WebSocket>(opts.heartbeatIntervalMs, (ws) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (!alive.has(ws)) {
            metrics.connectionsDropped.inc({ reason: 'heartbeat' });
            ws.terminate();
            return;
          }
          alive.delete(ws);
          ws.ping();
        })
      : undefined;

  // Authentication deadline: a sweep over the sockets notes when each was last seen without a
  // session (at open, or after logout) and closes those past the deadline. One timer for all
  // sockets keeps idle connections small; the deadline is kept to within a sweep interval.
  const connOf = new WeakMap<WebSocket, WsConnection>();
  const authSweep =
    opts.authTimeoutMs > 0
      ? setInterval(() => {
          const now = Date.now();
          for (const ws of wss.clients) {
            const conn = connOf.get(ws);
            if (conn === undefined) continue;
            if (conn.session !== undefined) conn.unboundSince = -1;
            else if (conn.unboundSince < 0) conn.unboundSince = now;
            else if (now - conn.unboundSince >= opts.authTimeoutMs && ws.readyState === WebSocket.OPEN) {
              metrics.connectionsDropped.inc({ reason: 'auth_timeout' });
              ws.close(AUTH_TIMEOUT_CLOSE.code, AUTH_TIMEOUT_CLOSE.reason);
            }
          }
        }, Math.max(50, Math.min(1000, Math.floor(opts.authTimeoutMs / 4))))
      : undefined;
  authSweep?.unref();

  // SAMA's watchdog pings (protocol.md §3.12: some SAMA clients expect the server's own ping
  // frames; no reply is expected), spread over the interval like the heartbeat; a socket gets
  // them only while it has a session.
  const watchdog =
    opts.watchdogPingIntervalMs > 0
      ? new SpreadTimer<WsConnection>(opts.watchdogPingIntervalMs, (conn) => {
          if (conn.session !== undefined) conn.send(WATCHDOG_FRAME);
        })
      : undefined;

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    metrics.connections.inc();
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    heartbeat?.add(ws);
    // Frames sent to one socket in the same turn of the event loop (an ack and the deliveries
    // released by one group commit) leave in one write: the socket is corked at the first send
    // and uncorked once the turn's callbacks and promise continuations have run.
    const socket = req.socket;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const lane = scheduler.lane(ws, (frame) => dispatcher.handleFrame(conn, frame.toString('utf8')));
    const conn: WsConnection = {
      id: nextId++,
      address: addresses.get(req) ?? 'unknown',
      session: undefined,
      unboundSince: Date.now(),
      send(data) {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > opts.maxBufferedBytes) {
          metrics.connectionsDropped.inc({ reason: 'slow_consumer' });
          ws.close(1013, 'client too slow');
          return;
        }
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        ws.send(data);
        lane.noteSent(data.length);
      },
      close(code, reason) {
        ws.close(code, reason);
      },
    };
    connOf.set(ws, conn);
    watchdog?.add(conn);
    socket.on('drain', () => lane.drained());
    ws.on('message', (data: RawData) => {
      alive.add(ws);
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (bytes.length > opts.maxFrameBytes) {
        // Between the limit and twice it: read, and refused with the client's id when its start
        // names one, so a client waiting on that id hears back; the socket stays open.
        metrics.badFrames.inc({ reason: 'too_large' });
        conn.send(encodeError(readFrameHead(bytes.subarray(0, FRAME_HEAD_BYTES).toString('utf8')), samaError(Errors.payloadTooLarge)));
        return;
      }
      lane.push(bytes);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        metrics.badFrames.inc({ reason: 'too_large' });
        metrics.connectionsDropped.inc({ reason: 'frame_too_large' });
        // The 413 and the 1009 close frame are queued. The rest of the frame is never read: the
        // socket stops reading (after ws's own resume on the next tick), sends FIN once they are
        // written, and is destroyed a second later (the client's reply to the close cannot be
        // read without reading the frame first).
        process.nextTick(() => {
          socket.pause();
          socket.end(() => setTimeout(() => socket.destroy(), 1000).unref());
        });
      }
      log.debug({ err, conn: conn.id }, 'websocket error');
    });
    ws.on('close', () => {
      heartbeat?.delete(ws);
      watchdog?.delete(conn);
      lane.close();
      metrics.connections.dec();
      sessions.unbind(conn);
    });
  });

  return {
    get connectionCount() {
      return wss.clients.size;
    },
    close() {
      accepting = false;
      heartbeat?.stop();
      watchdog?.stop();
      clearInterval(authSweep);
      server.off('upgrade', onUpgrade);
      // Sockets already closing (a refused frame, a slow consumer) are not waited for.
      for (const ws of wss.clients) {
        if (ws.readyState === WebSocket.CLOSING) ws.terminate();
        else ws.close(1001, 'server shutting down');
      }
      return new Promise((resolve) => {
        const deadline = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 2000);
        wss.close(() => {
          clearTimeout(deadline);
          resolve();
        });
      });
    },
  };
}
