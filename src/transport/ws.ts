import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { encodeError } from '../protocol/envelope.js';
import { Errors, samaError } from '../protocol/errors.js';
import { FRAME_HEAD_BYTES, readFrameHead } from '../protocol/frame-head.js';
import type { Dispatcher } from './dispatch.js';
import type { Metrics } from './metrics.js';
import type { Connection, LocalSessions } from './sessions.js';

export interface WsOptions {
  /** Frames above this size are answered with 413 and dropped; the socket stays open. */
  readonly maxFrameBytes: number;
  /** A socket whose unsent backlog passes this is closed (1013) instead of buffering without end. */
  readonly maxBufferedBytes?: number;
  /** Ping interval in ms; a socket silent since the previous ping is terminated. 0 = off. */
  readonly heartbeatIntervalMs?: number;
}

/** The WebSocket side of the shared HTTP port. */
export interface WsTransport {
  /** Closes every socket with 1001 and stops accepting upgrades. */
  close(): Promise<void>;
  readonly connectionCount: number;
}

/**
 * Attaches the WebSocket API to `server` (any path upgrades, protocol.md §1.1). Each socket's
 * frames go to the dispatcher concurrently; replies are matched by id on the client side.
 */
export function attachWebSocket(server: Server, dispatcher: Dispatcher, sessions: LocalSessions, metrics: Metrics, log: Logger, opts: WsOptions): WsTransport {
  // The hard cap protects memory; frames between the soft and hard caps get a protocol error.
  const hardCap = Math.max(16 * 1024 * 1024, opts.maxFrameBytes * 4);
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: hardCap, perMessageDeflate: false, clientTracking: true });
  let nextId = 1;
  let accepting = true;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  // Heartbeat: every interval, sockets that did not answer the last ping are terminated (their
  // 'close' then unbinds the session, so presence goes offline), the rest are pinged again.
  const alive = new WeakSet<WebSocket>();
  const heartbeat =
    (opts.heartbeatIntervalMs ?? 0) > 0
      ? setInterval(() => {
          for (const ws of wss.clients) {
            if (!alive.has(ws)) {
              ws.terminate();
              continue;
            }
            alive.delete(ws);
            ws.ping();
          }
        }, opts.heartbeatIntervalMs)
      : undefined;
  heartbeat?.unref();

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    metrics.connections.inc();
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    // Frames sent to one socket in the same turn of the event loop (an ack and the deliveries
    // released by one group commit) leave in one write: the socket is corked at the first send
    // and uncorked once the turn's callbacks and promise continuations have run.
    const socket = req.socket;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const conn: Connection = {
      id: nextId++,
      address: req.socket.remoteAddress ?? 'unknown',
      session: undefined,
      send(data) {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > maxBuffered) {
          ws.close(1013, 'client too slow');
          return;
        }
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        ws.send(data);
      },
      close(code, reason) {
        ws.close(code, reason);
      },
    };
    ws.on('message', (data: RawData) => {
      alive.add(ws);
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (bytes.length > opts.maxFrameBytes) {
        metrics.badFrames.inc({ reason: 'too_large' });
        // The reply carries the client's id when it can be read from the frame's start.
        conn.send(encodeError(readFrameHead(bytes.subarray(0, FRAME_HEAD_BYTES).toString('utf8')), samaError(Errors.payloadTooLarge)));
        return;
      }
      void dispatcher.handleFrame(conn, bytes.toString('utf8'));
    });
    ws.on('error', (err) => log.debug({ err, conn: conn.id }, 'websocket error'));
    ws.on('close', () => {
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
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
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
