import { conversationRecipients } from '../../domain/conversations.js';
import { Errors, bareError, samaError } from '../../protocol/errors.js';

import { RequestSchemas } from '../../protocol/requests/index.js';
import type { ConversationRecord, MessageRecord, Store } from '../../store/store.js';
import { defineHandler } from '../define.js';

/**
 * The message and its conversation, if the caller may see both: the message exists, is not
 * hidden for the caller, and the caller participates (SAMA checks no membership; Parley does, and
 * answers "not found" so that ids reveal nothing).
 */
async function visibleMessage(store: Store, orgId: string, mid: string, userId: string): Promise<{ msg: MessageRecord; conv: ConversationRecord }> {
  const msg = await store.messages.visibleTo(orgId, mid, userId);
  const conv = msg && (await store.conversations.byId(orgId, msg.cid));
  if (!msg || !conv || !(await store.participants.get(conv._id, userId))) throw samaError(Errors.messageIdNotFound);
  return { msg, conv };
}

/**
 * `message_reactions_update` (protocol.md §3.6): adds and/or removes the caller's reactions; the
 * conversation hears only what changed, and nothing in channels.
 */
export const messageReactionsUpdate = defineHandler({
  kind: 'message_reactions_update',
  auth: true,
  schema: RequestSchemas.message_reactions_update,
  errors: { fields: { mid: Errors.incorrectMessageId } },
  async handle(input, { deps, session, now }) {
    if (input.add === undefined && input.remove === undefined) throw bareError('"value" must contain at least one of [add, remove]');
    const { msg, conv } = await visibleMessage(deps.store, session.orgId, input.mid, session.userId);
    const added = input.add !== undefined && (await deps.store.reactions.add(msg._id, msg.cid, session.userId, input.add, now));
    const removed = input.remove !== undefined && (await deps.store.reactions.remove(msg._id, session.userId, input.remove));
    if ((!added && !removed) || conv.type === 'c') return { response: { success: true } };
    const event: Record<string, unknown> = { mid: msg._id, cid: msg.cid, c_type: conv.type, from: session.userId };
    if (added) event.add = input.add;
    if (removed) event.remove = input.remove;
    return { response: { success: true }, deliver: [{ orgId: session.orgId, to: await conversationRecipients(deps.store, conv), packet: { message_reactions_update: event }, exceptDevice: { userId: session.userId, deviceId: session.deviceId }, offline: 'drop' }] };
  },
});

/** `message_reactions_list`: reaction → user ids for one message the caller can see. */
export const messageReactionsList = defineHandler({
  kind: 'message_reactions_list',
  auth: true,
  schema: RequestSchemas.message_reactions_list,
  errors: { fields: { mid: Errors.incorrectMessageId } },
  async handle(input, { deps, session }) {
    const { msg } = await visibleMessage(deps.store, session.orgId, input.mid, session.userId);
    return { response: { reactions: await deps.store.reactions.list(msg._id) } };
  },
});
