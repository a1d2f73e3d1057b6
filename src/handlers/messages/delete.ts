import { conversationRecipients, isAdmin, requireMember } from '../../domain/conversations.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_delete` (protocol.md §3.6). `myself` hides the messages from the caller only. `all`
 * removes them for everyone and tells the conversation. Unlike SAMA (where any participant can
 * wipe any message by id), `all` only touches messages of `cid`, and only the author — or the
 * conversation's owner or an admin, who moderate it — may delete a message for all (403 otherwise).
 */
export const messageDelete = defineHandler({
  kind: 'message_delete',
  auth: true,
  schema: RequestSchemas.message_delete,
  // Fields are checked in the order of protocol.md's table: cid, ids, type.
  errors: { fields: { cid: Errors.cidRequired, type: { missing: Errors.messageTypeMissed, invalid: Errors.incorrectType }, ids: Errors.messageIdMissed } },
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session }) {
    const { store } = deps;
    const { conversation, membership } = await requireMember(store, session.orgId, input.cid, session.userId);
    if (input.type === 'myself') {
      await store.messages.hideFor(session.orgId, conversation._id, input.ids, session.userId);
      return { response: { success: true } };
    }
    const targets = await store.messages.list(session.orgId, conversation._id, session.userId, { ids: input.ids, limit: input.ids.length });
    if (targets.some((m) => m.from !== session.userId) && !isAdmin(conversation, membership)) throw samaError(Errors.forbidden);
    const removed = await store.messages.deleteForAll(session.orgId, conversation._id, targets.map((m) => m._id));
    if (removed.length === 0) return { response: { success: true } };
    const packet = { message_delete: { ids: removed, cid: conversation._id, c_type: conversation.type, from: session.userId, type: 'all' } };
    return { response: { success: true }, deliver: [{ orgId: session.orgId, to: await conversationRecipients(store, conversation), packet, exceptDevice: { userId: session.userId, deviceId: session.deviceId }, offline: 'drop' }] };
  },
});
