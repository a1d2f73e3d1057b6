import type { Logger } from 'pino';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketStart, type NodeFigures, type StatsStore } from './stats-store.js';

/** Packets counted as messages by SAMA's server stats (protocol.md §10.3). */
export const COUNTED_PACKETS: ReadonlySet<string> = new Set(['message', 'message_edit', 'message_reactions_update', 'system_message']);

/** Live figures of this node and of the cluster, read when a report is made. */
export interface LiveFigures {
  /** Open WebSocket connections on this node (logged in or not). */
  connections(): number;
  /** Distinct users with a logged-in socket: on this node alone, or on every node in a cluster. */
  onlineUsers(): number;
}

export interface ServerStatsOptions {
  readonly nodeId: string;
  /** When this node started, epoch ms (uptime). */
  readonly startedAt: number;
  /** How often counts and this node's figures are written to the store, ms. */
  readonly flushMs: number;
  /** How long this node's published figures count without being renewed, ms. */
  readonly nodeTtlMs: number;
}

/** `GET /admin/server-stats` as JSON (protocol.md §10.3, plus Parley's cluster figures). */
export interface ServerStatsReport {
  uptime: number | string;
  online_users: number;
  connections: number;
  nodes: number;
  node_id: string;
  messages_per_minute?: number;
  messages_per_hour?: number;
  messages_per_day?: number;
}

/**
 * The figures of `GET /admin/server-stats` (protocol.md §10.3), cluster-wide when the store is
 * shared. Messages are the packets SAMA counts (`message`, `message_edit`,
 * `message_reactions_update`, `system_message`) handled successfully, over WebSocket or the admin
 * HTTP API; each node adds its counts to per-minute, -hour and -day buckets of UTC time in the
 * store every `flushMs` (a failed write is retried with the next), and a report gives the totals
 * of the previous complete minute, hour and day — absent while counting has not covered the whole
 * period. `online_users` are distinct users online anywhere; `connections` and `nodes` add up
 * the figures each live node publishes; `uptime` is the answering node's.
 */
export class ServerStats {
  /** Counts not yet written to the store: minute start → packets. */
  private pending = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly store: StatsStore,
    private readonly live: LiveFigures,
    private readonly opts: ServerStatsOptions,
    private readonly log: Logger,
  ) {}

  /** Notes one successfully handled packet of `kind` (the message path: a Set lookup and a Map update). */
  handled(kind: string, now: number): void {
    if (!COUNTED_PACKETS.has(kind)) return;
    const minute = bucketStart(now, MINUTE_MS);
    this.pending.set(minute, (this.pending.get(minute) ?? 0) + 1);
  }

  /** Starts writing counts and this node's figures every `flushMs`; the first write is now. */
  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.flushMs);
    this.timer.unref();
  }

  /** The report as of `now`; `format` gives uptime as "1h 2m 3s". Rejects when the store fails. */
  async report(now: number, format: boolean): Promise<ServerStatsReport> {
    await this.flush(now);
    await this.store.publishNode(this.figures(), this.opts.nodeTtlMs, now);
    const minute = bucketStart(now, MINUTE_MS) - MINUTE_MS;
    const hour = bucketStart(now, HOUR_MS) - HOUR_MS;
    const day = bucketStart(now, DAY_MS) - DAY_MS;
    const [totals, nodes] = await Promise.all([this.store.totals(minute, hour, day), this.store.nodes(now)]);
    const seconds = Math.max(0, Math.floor((now - this.opts.startedAt) / 1000));
    const out: ServerStatsReport = {
      uptime: format ? formatUptime(seconds) : seconds,
      online_users: this.live.onlineUsers(),
      connections: nodes.reduce((sum, n) => sum + n.connections, 0),
      nodes: nodes.length,
      node_id: this.opts.nodeId,
    };
    const since = totals.since;
    if (since !== undefined && since <= minute) out.messages_per_minute = totals.minute;
    if (since !== undefined && since <= hour) out.messages_per_hour = totals.hour;
    if (since !== undefined && since <= day) out.messages_per_day = totals.day;
    return out;
  }

  /** The figures every live node published (one entry per node; a single node lists itself). */
  async nodes(now: number): Promise<NodeFigures[]> {
    await this.store.publishNode(this.figures(), this.opts.nodeTtlMs, now);
    return this.store.nodes(now);
  }

  /** Writes what is pending and takes this node's figures out of the store. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(Date.now());
    await this.store.removeNode(this.opts.nodeId);
  }

  private figures(): { nodeId: string; connections: number; startedAt: number } {
    return { nodeId: this.opts.nodeId, connections: this.live.connections(), startedAt: this.opts.startedAt };
  }

  private async tick(): Promise<void> {
    try {
      const now = Date.now();
      await this.flush(now);
      await this.store.publishNode(this.figures(), this.opts.nodeTtlMs, now);
      if (this.failing) this.log.info('server stats are written to the store again');
      this.failing = false;
    } catch (err) {
      // One line per outage: the counts wait and go with the next write.
      if (!this.failing) this.log.warn({ err }, 'server stats could not be written; retrying');
      this.failing = true;
    }
  }

  /** Writes the pending counts, one write at a time; on failure they are pending again. */
  private async flush(now: number): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    const counts = this.pending;
    this.pending = new Map();
    this.flushing = this.store.record(counts, now).catch((err: unknown) => {
      // Put them back, dropping buckets too old to be reported any more.
      for (const [minute, n] of counts) if (minute > now - 2 * DAY_MS) this.pending.set(minute, (this.pending.get(minute) ?? 0) + n);
      throw err;
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }
}

/** Seconds as SAMA's formatted uptime: "2h 5m 3s" (leading zero units left out; days as "1d"). */
export function formatUptime(seconds: number): string {
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first === -1 ? 3 : first)
    .map(([n, unit]) => `${String(n)}${unit}`)
    .join(' ');
}
