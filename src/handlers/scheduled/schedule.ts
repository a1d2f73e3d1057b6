import { assertNotBlocked } from '../../domain/blocks.js';
import { isAdmin } from '../../domain/conversations.js';
import { Errors, bareError, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';
import { scheduledWire } from './wire.js';

/**
 * `parley_message_schedule` (docs/protocol-extensions.md, "Scheduled messages"): checks the
 * message as `message` would now (conversation, membership, block list, channel rights, sizes),
 * checks `send_at` and the author's cap, stores the schedule and replies only after it is
 * committed. The same checks run again when it is sent (it goes through the `message` handler),
 * so an author removed or blocked meanwhile posts nothing. Scheduling an `id` the author has
 * already scheduled answers with that schedule and changes nothing (a retry is harmless).
 */
export const messageSchedule = defineHandler({
  kind: 'parley_message_schedule',
  auth: true,
  schema: RequestSchemas.parley_message_schedule,
  errors: { fields: { id: Errors.incorrectMessageId, cid: Errors.cidRequired, body: Errors.bodyOrAttachmentsRequired, attachments: Errors.bodyOrAttachmentsRequired, send_at: Errors.incorrectSendAt } },
  async handle(input, { deps, session, now }) {
    const { store, config } = deps;
    const { orgId, userId } = session;
    if (input.body === undefined && input.attachments === undefined) throw bareError('"value" must contain at least one of [body, attachments]');
    if (jsonBytes(input.x) > config.messageMaxXBytes || jsonBytes(input.attachments) > config.messageMaxAttachmentsBytes) throw samaError(Errors.payloadTooLarge);
    if (input.send_at <= now || input.send_at > now + config.scheduledMaxAheadS * 1000) throw samaError(Errors.incorrectSendAt);
    const [conv, membership] = await Promise.all([store.conversations.byId(orgId, input.cid), store.participants.get(input.cid, userId)]);
    if (!conv) throw samaError(Errors.conversationNotFound);
    // A side of a private chat that left may still write: `message` adds both sides back.
    const side = conv.type === 'u' && (conv.owner_id === userId || conv.opponent_id === userId);
    if (!membership && !side) throw samaError(Errors.forbidden);
    // Encrypted messages are sealed per recipient device when sent; a server-held copy cannot be.
    if (conv.is_encrypted) throw samaError(Errors.forbidden);
    await assertNotBlocked(store, conv, userId);
    if (conv.type === 'c' && !config.conversationDisableChannelsLogic && !isAdmin(conv, membership)) throw samaError(Errors.forbidden);
    if (input.replied_message_id !== undefined) {
      const replied = await store.messages.visibleTo(orgId, input.replied_message_id, userId);
      if (replied?.cid !== conv._id) throw samaError(Errors.incorrectRepliedMessageId);
    }
    const { send_at: sendAt, ...content } = input;
    const stored = await store.scheduledMessages.insert({ _id: newId(), organization_id: orgId, from: userId, cid: conv._id, client_id: input.id, content, send_at: sendAt, created_at: now }, config.scheduledMaxPending);
    if (stored.kind === 'limit') throw samaError(Errors.scheduledLimit);
    if (stored.kind === 'created') deps.scheduler?.wake(sendAt);
    return { response: { scheduled_message: scheduledWire(stored.record) } };
  },
});

/** Size of a value as stored (JSON, UTF-8); 0 when absent. */
function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}
