import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The series one packet kind updates on every request. */
export interface PacketMetrics {
  readonly duration: Histogram.Internal<'packet'>;
  readonly ok: Counter.Internal;
  readonly error: Counter.Internal;
  readonly internal: Counter.Internal;
}

/** Prometheus metrics of one node, served at GET /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly packets = new Counter({ name: 'parley_packets_total', help: 'Packets handled, by packet name and outcome (ok | error | internal).', labelNames: ['packet', 'outcome'] as const, registers: [this.registry] });
  readonly duration = new Histogram({
    name: 'parley_packet_duration_seconds',
    help: 'Time from frame decode to reply sent, by packet name.',
    labelNames: ['packet'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly connections = new Gauge({ name: 'parley_ws_connections', help: 'Open WebSocket connections.', registers: [this.registry] });
  readonly pushSent = new Counter({
    name: 'parley_push_sent_total',
    help: 'Push deliveries by platform (web | ios | android | none) and result (sent | gone | failed | retry | gave_up | no_subscription | unconfigured).',
    labelNames: ['platform', 'result'] as const,
    registers: [this.registry],
  });
  readonly badFrames = new Counter({ name: 'parley_bad_frames_total', help: 'Frames rejected before dispatch, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });

  readonly framesDelayed = new Counter({
    name: 'parley_ws_frames_delayed_total',
    help: 'Frames that arrived while their socket was at a limit and had to wait (in_flight: WS_MAX_IN_FLIGHT requests running; output: unsent replies above WS_OUTPUT_BUDGET_BYTES). The socket is not read while frames wait.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly framesDropped = new Counter({ name: 'parley_ws_frames_dropped_total', help: 'Frames that were waiting to be handled when their socket closed, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly connectionsRefused = new Counter({
    name: 'parley_ws_connections_refused_total',
    help: 'WebSocket upgrades refused, by reason (total: WS_MAX_CONNECTIONS reached, answered 503; per_address: WS_MAX_CONNECTIONS_PER_ADDRESS reached, answered 429; shutting_down: 503).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionsDropped = new Counter({
    name: 'parley_ws_connections_dropped_total',
    help: 'WebSocket connections the server closed, by reason (auth_timeout: no login within WS_AUTH_TIMEOUT_MS, 4003; slow_consumer: unsent output above WS_MAX_BUFFERED_BYTES, 1013; frame_too_large: a frame above WS_MAX_FRAME_BYTES, 1009; heartbeat: no pong).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly perPacket = new Map<string, PacketMetrics>();

  /**
   * The labelled series of one packet kind, looked up once per kind: resolving labels on every
   * request costs a label hash per call on the hot path.
   */
  packet(kind: string): PacketMetrics {
    let m = this.perPacket.get(kind);
    if (!m) {
      m = {
        duration: this.duration.labels(kind),
        ok: this.packets.labels(kind, 'ok'),
        error: this.packets.labels(kind, 'error'),
        internal: this.packets.labels(kind, 'internal'),
      };
      this.perPacket.set(kind, m);
    }
    return m;
  }

  /** Exposes the number of pushes waiting in the durable outbox. */
  trackPushOutbox(count: () => Promise<number>): void {
    new Gauge({
      name: 'parley_push_outbox_pending',
      help: 'Pushes waiting in the durable outbox (including ones being sent or waiting for a retry). With no push sender configured they stay there.',
      registers: [this.registry],
      async collect() {
        this.set(await count());
      },
    });
  }

  constructor(sessionCount: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    new Gauge({ name: 'parley_sessions', help: 'Authenticated sessions (devices) on this node.', registers: [this.registry], collect() { this.set(sessionCount()); } });
  }
}
