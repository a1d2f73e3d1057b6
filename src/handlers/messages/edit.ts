import { conversationRecipients } from '../../domain/conversations.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_edit` (protocol.md §3.6): the author replaces the body; the conversation gets a
 * `message_edit` event (not stored for offline users).
 */
export const messageEdit = defineHandler({
  kind: 'message_edit',
  auth: true,
  schema: RequestSchemas.message_edit,
  errors: { fields: { id: Errors.incorrectMessageId, body: Errors.bodyOrAttachmentsRequired } },
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const msg = await store.messages.visibleTo(session.orgId, input.id, session.userId);
    if (!msg) throw samaError(Errors.messageIdNotFound);
    if (msg.from !== session.userId) throw samaError(Errors.forbidden);
    const conv = await store.conversations.byId(session.orgId, msg.cid);
    if (!conv || !(await store.participants.get(conv._id, session.userId))) throw samaError(Errors.forbidden);
    await store.messages.editBody(session.orgId, msg._id, input.body, now);
    const packet = { message_edit: { id: msg._id, cid: msg.cid, c_type: conv.type, from: session.userId, body: input.body } };
    return { response: { success: true }, deliver: [{ orgId: session.orgId, to: await conversationRecipients(store, conv), packet, exceptDevice: { userId: session.userId, deviceId: session.deviceId }, offline: 'drop' }] };
  },
});
