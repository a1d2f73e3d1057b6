import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `parley_data_export` (docs/protocol-extensions.md, Personal data export and erasure): starts
 * an export of the caller's own data and replies with the job at once; the archive is built in
 * the background and the caller gets `parley_data_export_ready`. One request per
 * DATA_EXPORT_MIN_INTERVAL per user (429 otherwise).
 */
export const dataExport = defineHandler({
  kind: 'parley_data_export',
  auth: true,
  schema: RequestSchemas.parley_data_export,
  // One request of a user at a time on a node, so two at once cannot both pass the rate limit.
  orderingKey: (_input, session) => (session ? `data-export:${session.orgId}:${session.userId}` : undefined),
  async handle(_input, { deps, session, now }) {
    const job = await deps.exports.request(session.orgId, session.userId, 'user', now);
    return { response: { export: deps.exports.wire(job, now) } };
  },
});

/**
 * `parley_data_export_status`: one of the caller's exports, with a download URL once ready. Any
 * other id — unknown, another user's, another organization's — is 404 `Export not found.`
 */
export const dataExportStatus = defineHandler({
  kind: 'parley_data_export_status',
  auth: true,
  schema: RequestSchemas.parley_data_export_status,
  async handle(input, { deps, session, now }) {
    const job = await deps.store.exports.byId(session.orgId, session.userId, input.id);
    if (!job || job.expires_at <= now) throw samaError(Errors.exportNotFound);
    return { response: { export: deps.exports.wire(job, now) } };
  },
});
