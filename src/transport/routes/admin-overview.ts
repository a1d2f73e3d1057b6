import { COUNTED_PACKETS, type ServerStats } from '../../domain/server-stats.js';
import type { HttpContext, HttpRoutes } from '../http.js';
import { histogramQuantile, type Bucket } from '../histogram.js';
import { adminJson } from './admin-json.js';

/** Health of one backing service as the overview shows it. */
export interface ServiceHealth {
  /** `ok`, `down`, or `unused` (Redis on a single node). */
  readonly status: 'ok' | 'down' | 'unused';
  /** How long the check took, ms (the store's ping). */
  readonly ms?: number;
}

/** The packet whose timing the overview reports as message latency. */
const MESSAGE_PACKET = 'message';

/** Messages this node handled successfully (the packets SAMA's server stats count), since it started. */
async function messagesHandled(ctx: HttpContext): Promise<number> {
  const { values } = await ctx.metrics.packets.get();
  return values.reduce((sum, v) => (v.labels.outcome === 'ok' && COUNTED_PACKETS.has(String(v.labels.packet)) ? sum + v.value : sum), 0);
}

/**
 * Cumulative buckets of the `message` packet's time from frame decode to ack sent (which, with
 * group commit, includes the store's commit), seconds, since this node started.
 */
async function messageLatency(ctx: HttpContext): Promise<Bucket[]> {
  const { values } = await ctx.metrics.duration.get();
  return values
    .filter((v) => v.metricName?.endsWith('_bucket') === true && v.labels.packet === MESSAGE_PACKET)
    .map((v) => {
      // prom-client adds `le` to the bucket series' labels; its types know only the declared ones.
      const le = (v.labels as Record<string, string | number | undefined>).le;
      return { le: le === '+Inf' ? Infinity : Number(le), count: v.value };
    })
    .sort((a, b) => a.le - b.le);
}

async function storeHealth(ctx: HttpContext): Promise<ServiceHealth> {
  const started = performance.now();
  try {
    await ctx.deps.store.ping();
    return { status: 'ok', ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    ctx.log.warn({ err }, 'overview: store unreachable');
    return { status: 'down' };
  }
}

async function outboxDepth(ctx: HttpContext): Promise<number | null> {
  try {
    return await ctx.deps.store.pushOutbox.count();
  } catch {
    // The store is down: its health says so.
    return null;
  }
}

/**
 * `GET /admin/overview` (JSON, admin key; see admin-json.ts): what the console's live overview
 * polls. Cluster-wide: `online_users`, `connections`, `nodes` (one entry per live node with its
 * connections and start) and `messages_per_minute` (the previous whole minute, from
 * /admin/server-stats). This node's: `messages_total` and `latency` (cumulative buckets of the
 * `message` packet, with p50/p99 since start, seconds) — the console takes the difference of two
 * polls for rates and for the quantiles of the interval; `push_outbox` (rows waiting, shared by
 * the cluster); the health of the store and of Redis.
 */
export function adminOverviewRoutes(stats: ServerStats): HttpRoutes {
  return (app, ctx) => {
    app.get('/admin/overview', adminJson(ctx, async (_req, reply) => {
      const now = Date.now();
      const [report, nodes, total, buckets, store, outbox] = await Promise.all([
        stats.report(now, false),
        stats.nodes(now),
        messagesHandled(ctx),
        messageLatency(ctx),
        storeHealth(ctx),
        outboxDepth(ctx),
      ]);
      const redis: ServiceHealth = ctx.busHealthy ? { status: ctx.busHealthy() ? 'ok' : 'down' } : { status: 'unused' };
      void reply.header('cache-control', 'no-store');
      return {
        at: now,
        node_id: report.node_id,
        uptime: report.uptime,
        online_users: report.online_users,
        connections: report.connections,
        messages_per_minute: report.messages_per_minute ?? null,
        nodes: nodes.map((n) => ({ node_id: n.nodeId, connections: n.connections, started_at: n.startedAt })),
        messages_total: total,
        latency: { buckets: buckets.map((b) => ({ le: Number.isFinite(b.le) ? b.le : null, count: b.count })), p50: histogramQuantile(0.5, buckets) ?? null, p99: histogramQuantile(0.99, buckets) ?? null },
        push_outbox: outbox,
        health: { store, redis },
      };
    }));
  };
}
