import { Errors, bareError, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { SUCCESS, defineHandler } from '../define.js';
import { scheduledWire } from './wire.js';

const DEFAULT_PAGE = 50;

/**
 * `parley_scheduled_list`: the caller's own pending schedules (never anyone else's), by send
 * time, optionally of one conversation; `next` is the cursor of the following page. Sent,
 * failed and cancelled schedules are not listed.
 */
export const scheduledList = defineHandler({
  kind: 'parley_scheduled_list',
  auth: true,
  schema: RequestSchemas.parley_scheduled_list,
  async handle(input, { deps, session }) {
    const limit = input.limit ?? DEFAULT_PAGE;
    const after = input.after === undefined ? undefined : parseCursor(input.after);
    const rows = await deps.store.scheduledMessages.list(session.orgId, session.userId, { ...(input.cid === undefined ? {} : { cid: input.cid }), ...(after ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { response: { scheduled_messages: page.map(scheduledWire), ...(rows.length > limit && last ? { next: `${String(last.send_at)}:${last.client_id}` } : {}) } };
  },
});

/**
 * `parley_scheduled_cancel`: removes one of the caller's pending schedules. An id that is not
 * the caller's, was already sent or failed, or is being sent right now (a node holds it) gets
 * the same 404 as one that never existed.
 */
export const scheduledCancel = defineHandler({
  kind: 'parley_scheduled_cancel',
  auth: true,
  schema: RequestSchemas.parley_scheduled_cancel,
  errors: { fields: { id: Errors.incorrectMessageId } },
  async handle(input, { deps, session, now }) {
    if (!(await deps.store.scheduledMessages.cancel(session.orgId, session.userId, input.id, now))) throw samaError(Errors.scheduledNotFound);
    return SUCCESS;
  },
});

/** `<send_at>:<id>` as `next` gave it; anything else is refused as the validator words it. */
function parseCursor(text: string): { sendAt: number; id: string } {
  const m = /^(\d{1,16}):(.+)$/s.exec(text);
  if (!m?.[1] || m[2] === undefined) throw bareError('"after" must be the next cursor of an earlier page');
  return { sendAt: Number(m[1]), id: m[2] };
}
