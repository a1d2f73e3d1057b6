import { handOverOwnership } from '../../domain/conversations.js';
import type { Delivery } from '../../domain/delivery.js';
import { participantMessage } from '../../domain/participant-messages.js';
import { Errors, samaError } from '../../protocol/errors.js';

import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `conversation_delete` (protocol.md §3.4): the caller LEAVES the conversation; nothing is
 * deleted for others. The last one out deletes it; a departing group/channel owner hands over to
 * the oldest remaining participant. The others get a "has left" participant message.
 */
export const conversationLeave = defineHandler({
  kind: 'conversation_delete',
  auth: true,
  schema: RequestSchemas.conversation_delete,
  orderingKey: (input) => input.id,
  async handle(input, { deps, session, now }) {
    const { store, config } = deps;
    let conv = await store.conversations.byId(session.orgId, input.id);
    if (!conv) throw samaError(Errors.badRequest);
    const removed = await store.participants.remove(session.orgId, conv._id, [session.userId]);
    if (removed.length === 0) throw samaError(Errors.participantNotFound);
    const remaining = (await store.participants.list(conv._id)).map((p) => p.user_id);
    if (remaining.length === 0) {
      await store.conversations.delete(session.orgId, conv._id);
      return { response: { success: true } };
    }
    if (conv.type !== 'u' && conv.owner_id === session.userId) conv = await handOverOwnership(store, conv, now);
    const deliver: Delivery[] = [];
    const me = await store.users.byId(session.orgId, session.userId);
    if (config.conversationNotificationsEnabled && me) {
      const to = conv.type === 'u' ? [conv.owner_id, conv.opponent_id ?? ''].filter((id) => id !== session.userId && id !== '') : remaining;
      deliver.push(await participantMessage(store, conv, session.userId, 'left_participants', me, to, now));
    }
    return { response: { success: true }, deliver };
  },
});
