import type { ServerStats } from '../../domain/server-stats.js';
import { requireAdmin, sendHttpError, type HttpRoutes } from '../http.js';

/**
 * `GET /admin/server-stats[?format=…]` (protocol.md §10.3) behind the admin key: SAMA's `uptime`
 * (seconds, or "2h 5m 3s" when `format` is given), `online_users` and `messages_per_minute`,
 * `_hour`, `_day`, plus `connections`, `nodes` and `node_id`; cluster-wide in a cluster (see
 * domain/server-stats.ts).
 */
export function adminStatsRoutes(stats: ServerStats): HttpRoutes {
  return (app, ctx) => {
    app.get('/admin/server-stats', async (req, reply) => {
      try {
        requireAdmin(req, ctx);
        const format = (req.query as Record<string, unknown> | undefined)?.format !== undefined;
        return await stats.report(Date.now(), format);
      } catch (err) {
        return sendHttpError(reply, ctx, err);
      }
    });
  };
}
