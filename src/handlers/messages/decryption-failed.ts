import { conversationRecipients, requireMember } from '../../domain/conversations.js';
import { Errors } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_decryption_failed` (protocol.md §3.6): records the status for the caller and — unlike
 * SAMA, which mis-addresses it — tells the other side of the conversation.
 */
export const messageDecryptionFailed = defineHandler({
  kind: 'message_decryption_failed',
  auth: true,
  schema: RequestSchemas.message_decryption_failed,
  // SAMA has no catalogued error for `ids`: its failures are the validator's text.
  errors: { fields: { cid: Errors.cidRequired } },
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const { conversation } = await requireMember(store, session.orgId, input.cid, session.userId);
    const msgs = await store.messages.list(session.orgId, conversation._id, session.userId, { ids: input.ids, limit: input.ids.length });
    const ids = msgs.map((m) => m._id).sort();
    await store.statuses.record(conversation._id, ids, session.userId, 'decryption_failed', now);
    if (ids.length === 0) return { response: { success: true } };
    const to = (await conversationRecipients(store, conversation)).filter((id) => id !== session.userId);
    return { response: { success: true }, deliver: [{ orgId: session.orgId, to, packet: { message_decryption_failed: { ids, cid: conversation._id, from: session.userId } }, offline: 'drop' }] };
  },
});
