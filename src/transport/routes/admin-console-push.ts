import type { PushOutboxState } from '../../store/store.js';
import type { HttpRoutes } from '../http.js';
import { adminJson, badInput, nextOf, organizationOf, pageOf, stringsOf } from './admin-json.js';

const STATES: readonly PushOutboxState[] = ['new', 'due', 'waiting'];

/**
 * `GET /admin/push-outbox?orgId&state&limit&after` (JSON, admin key; see admin-json.ts) →
 * `{now, stats, pushes, next}`: the counts by state and the rows oldest first, of one
 * organization or all — what the admin CLI's `push inspect` and `push list` show.
 */
export const adminConsolePushRoutes: HttpRoutes = (app, ctx) => {
  app.get('/admin/push-outbox', adminJson(ctx, async (req) => {
    const query = stringsOf(req.query);
    const page = pageOf(query);
    const orgId = query.orgId === undefined || query.orgId === '' ? undefined : (await organizationOf(ctx, query.orgId))._id;
    const state = query.state === undefined || query.state === '' ? undefined : query.state;
    if (state !== undefined && !STATES.includes(state as PushOutboxState)) throw badInput(`"state" must be one of ${STATES.join(', ')}`);
    const now = Date.now();
    const scope = orgId === undefined ? {} : { orgId };
    const [stats, pushes] = await Promise.all([
      ctx.deps.store.pushOutbox.stats(now, orgId),
      ctx.deps.store.pushOutbox.list({ ...page, ...scope, ...(state === undefined ? {} : { state: state as PushOutboxState }) }, now),
    ]);
    return { now, stats, pushes, next: nextOf(pushes, page.limit) };
  }));
};
