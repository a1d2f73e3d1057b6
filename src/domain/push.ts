import { newId } from '../protocol/ids.js';
import type { ConversationRecord, MessageRecord, PushOutboxRecord } from '../store/store.js';

/**
 * The push payload of a chat message (protocol.md §7.2): title is the sender's login in private
 * chats, "<login> | <conversation name>" otherwise. `firstAttachmentUrl` is a download URL of
 * the first attachment when it names a file shared with the conversation, else null.
 */
export function chatPushPayload(senderLogin: string, conv: ConversationRecord, m: MessageRecord, firstAttachmentUrl?: string): Record<string, unknown> {
  return {
    title: conv.type === 'u' ? senderLogin : `${senderLogin} | ${conv.name ?? ''}`,
    is_encrypted: conv.is_encrypted,
    body: m.body ?? '',
    firstAttachmentUrl: firstAttachmentUrl ?? null,
    cid: conv._id,
  };
}

/** One outbox row per recipient for the same payload. */
export function outboxRows(orgId: string, recipients: readonly string[], payload: Record<string, unknown>, now: number): PushOutboxRecord[] {
  const text = JSON.stringify(payload);
  return recipients.map((user_id) => ({ _id: newId(), organization_id: orgId, user_id, payload: text, created_at: now }));
}
