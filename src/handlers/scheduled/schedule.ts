import { assertMayPost, assertMessageContent } from '../../domain/message-checks.js';
import { Errors, samaError } from '../../protocol/errors.js';
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
    assertMessageContent(input, config);
    if (input.send_at <= now || input.send_at > now + config.scheduledMaxAheadS * 1000) throw samaError(Errors.incorrectSendAt);
    const view = await store.conversations.sendView(orgId, input.cid, userId);
    if (!view) throw samaError(Errors.conversationNotFound);
    const conv = view.conversation;
    const membership = view.participants.find((p) => p.user_id === userId);
    // A side of a private chat that left may still write: `message` adds both sides back.
    const side = conv.type === 'u' && (conv.owner_id === userId || conv.opponent_id === userId);
    if (!membership && !side) throw samaError(Errors.forbidden);
    // Encrypted messages are sealed per recipient device when sent; a server-held copy cannot be.
    if (conv.is_encrypted) throw samaError(Errors.forbidden);
    await assertMayPost(store, config, view, userId, membership, input);
    const { send_at: sendAt, ...content } = input;
    const stored = await store.scheduledMessages.insert({ _id: newId(), organization_id: orgId, from: userId, cid: conv._id, client_id: input.id, content, send_at: sendAt, created_at: now }, config.scheduledMaxPending);
    if (stored.kind === 'limit') throw samaError(Errors.scheduledLimit);
    if (stored.kind === 'created') deps.scheduler?.wake(sendAt);
    return { response: { scheduled_message: scheduledWire(stored.record) } };
  },
});
