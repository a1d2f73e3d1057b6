import { outboxRows } from '../../domain/push.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `push_event_create` (protocol.md §3.9, §7.2 item 3): queues the given message as a push to
 * every subscription of the recipients, whether or not they are online. The event row and one
 * durable outbox row per recipient commit in one transaction before the reply. Recipients outside
 * the caller's organization are dropped (none left: 422 "Recipients not found."); so, unlike
 * SAMA, are recipients with an enabled block either way between them and the caller.
 */
export const pushEventCreate = defineHandler({
  kind: 'push_event_create',
  auth: true,
  schema: RequestSchemas.push_event_create,
  errors: { fields: { recipients_ids: Errors.incorrectRecipients, message: Errors.notificationMessageMissed } },
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const found = await store.users.byIds(session.orgId, [...new Set(input.recipients_ids)]);
    const recipients: string[] = [];
    for (const u of found) {
      if (u._id === session.userId || !(await store.blocks.blockedEitherWay(session.orgId, session.userId, u._id))) recipients.push(u._id);
    }
    if (recipients.length === 0) throw samaError(Errors.recipientsNotFound);
    recipients.sort();
    const text = JSON.stringify(input.message);
    const event = { _id: newId(), organization_id: session.orgId, user_id: session.userId, user_ids: recipients, message: Buffer.from(text).toString('base64'), created_at: now, updated_at: now };
    await store.pushEvents.create(event, outboxRows(session.orgId, recipients, input.message, now));
    const created = new Date(now).toISOString();
    return { response: { event: { _id: event._id, user_id: event.user_id, user_ids: recipients, message: event.message, created_at: created, updated_at: created } } };
  },
});
