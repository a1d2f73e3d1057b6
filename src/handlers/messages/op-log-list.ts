import { Errors, samaError } from '../../protocol/errors.js';
import { dateValueMs } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `op_log_list` (protocol.md §3.10, §6): up to 100 packets the caller missed while fully
 * offline, oldest first, after (`gt`) or before (`lt`) a moment. Exactly one of the two; a
 * missing filter is the same 422 (SAMA crashes). Rows are not removed by reading.
 */
export const opLogList = defineHandler({
  kind: 'op_log_list',
  auth: true,
  schema: RequestSchemas.op_log_list,
  errors: { fields: { created_at: Errors.gtOrLtMissed } },
  async handle(input, { deps, session, now }) {
    const gt = dateValueMs(input.created_at?.gt);
    const lt = dateValueMs(input.created_at?.lt);
    if ((gt === undefined) === (lt === undefined)) throw samaError(Errors.gtOrLtMissed);
    const rows = await deps.store.opLog.list(session.orgId, session.userId, { gt, lt, limit: 100 }, now);
    return {
      response: {
        logs: rows.map((r) => ({ _id: r._id, user_id: r.user_id, packet: r.packet, created_at: new Date(r.created_at).toISOString(), updated_at: new Date(r.created_at).toISOString() })),
      },
    };
  },
});
