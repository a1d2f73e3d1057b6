import { createOrganization, publicOrganization } from '../../domain/organizations.js';
import { requireAdmin, sendHttpError, type HttpRoutes } from '../http.js';

/** `POST /admin/organization` `{name}` → `{organization}` (protocol.md §10.3). */
export const adminOrganizationRoutes: HttpRoutes = (app, ctx) => {
  app.post('/admin/organization', async (req, reply) => {
    try {
      requireAdmin(req, ctx);
      const body = (req.body ?? {}) as { name?: unknown };
      const org = await createOrganization(ctx.deps.store.organizations, body.name, Date.now());
      return { organization: publicOrganization(org) };
    } catch (err) {
      return sendHttpError(reply, ctx, err);
    }
  });
};
