import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BusObserver } from '../bus/bus.js';

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
  readonly scheduledMessages = new Counter({
    name: 'parley_scheduled_messages_total',
    help: 'Scheduled messages this node took to send, by result (sent | refused: the author may no longer post there | retry: a transient failure, tried again after the lease | gave_up: tries never finished).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly loginsThrottled = new Counter({
    name: 'parley_logins_throttled_total',
    help: 'Password and reset-code attempts refused with 429 before being checked, by reason (pair: this login from this address; address: this address over all logins; guard: a login under attack from many addresses).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly aiRequests = new Counter({
    name: 'parley_ai_requests_total',
    help: 'message_summary and message_tone requests by feature (summary | tone) and outcome (ai: answered by the provider; extractive: summarised locally, no provider; empty: nothing to summarise; failed: provider error or timeout; limited: over AI_RATE_LIMIT_PER_MINUTE; unconfigured: tone without a provider).',
    labelNames: ['feature', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly badFrames = new Counter({ name: 'parley_bad_frames_total', help: 'Frames rejected before dispatch, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });

  readonly busMessages = new Counter({ name: 'parley_bus_messages_total', help: 'Bus payloads by direction (published | received) and topic kind (sessions | node).', labelNames: ['direction', 'topic'] as const, registers: [this.registry] });
  readonly busBytes = new Counter({ name: 'parley_bus_bytes_total', help: 'Bus payload bytes by direction (published | received).', labelNames: ['direction'] as const, registers: [this.registry] });
  readonly busLag = new Histogram({
    name: 'parley_bus_lag_seconds',
    help: 'Time from publish on one node to receipt on this node (clocks of different machines included).',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly busHandlerErrors = new Counter({ name: 'parley_bus_handler_errors_total', help: 'Bus payloads whose handling threw.', registers: [this.registry] });
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

  /** Counts bus traffic and lag (cluster mode). */
  busObserver(): BusObserver {
    const kind = (topic: string): string => (topic.startsWith('node:') ? 'node' : topic);
    return {
      published: (topic, bytes) => {
        this.busMessages.inc({ direction: 'published', topic: kind(topic) });
        this.busBytes.inc({ direction: 'published' }, bytes);
      },
      received: (topic, bytes, lagMs) => {
        this.busMessages.inc({ direction: 'received', topic: kind(topic) });
        this.busBytes.inc({ direction: 'received' }, bytes);
        this.busLag.observe(Math.max(0, lagMs) / 1000);
      },
      handlerFailed: () => this.busHandlerErrors.inc(),
    };
  }

  /** Names this node (`parley_node_info{node="…"} 1`), so dashboards can tell nodes apart. */
  nameNode(nodeId: string): void {
    new Gauge({ name: 'parley_node_info', help: 'Always 1; its label names this node (NODE_ID).', labelNames: ['node'] as const, registers: [this.registry] }).set({ node: nodeId }, 1);
  }

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

  /** Messages a cluster node read back from the store because the bus lost or delayed them. */
  trackGapFills(filled: () => number): void {
    let seen = 0;
    const counter = new Counter({
      name: 'parley_cluster_gap_filled_total',
      help: 'Messages this node read back from PostgreSQL and handed to its sockets because Redis lost or delayed their notice (cluster mode).',
      registers: [this.registry],
      collect() {
        // The count lives in ConversationOrder; the counter catches up with it when scraped.
        const behind = filled() - seen;
        if (behind <= 0) return;
        counter.inc(behind);
        seen += behind;
      },
    });
  }

  constructor(sessionCount: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    new Gauge({ name: 'parley_sessions', help: 'Authenticated sessions (devices) on this node.', registers: [this.registry], collect() { this.set(sessionCount()); } });
  }
}
