import { publicConversation } from '../../domain/conversations.js';
import { cutoffOf } from '../../domain/retention.js';
import type { AttachmentWire, ConversationWire, LastMessageWire } from '../../protocol/models.js';
import { optionalDateMs } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `conversation_list` (protocol.md §3.4): the caller's conversations, newest created first, each
 * with `unread_messages_count` and `last_message`. `updated_at` filters apply to the
 * conversation only (SAMA also filters on the join time, hiding conversations joined earlier).
 * A last message older than the conversation's retention period is left out (the sweeper is
 * about to delete it).
 */
export const conversationList = defineHandler({
  kind: 'conversation_list',
  auth: true,
  schema: RequestSchemas.conversation_list,
  async handle(input, { deps, session, now }) {
    const { store, config } = deps;
    const gt = optionalDateMs(input.updated_at?.gt, 'updated_at.gt');
    const lt = optionalDateMs(input.updated_at?.lt, 'updated_at.lt');
    const limit = Math.min(input.limit ?? config.conversationPreloadCount, config.conversationPreloadCount);
    const convs = await store.conversations.listForUser(session.orgId, session.userId, { limit, updatedAfter: gt, updatedBefore: lt, ids: input.ids });
    const cids = convs.map((c) => c._id);
    const [rows, last, periods] = await Promise.all([store.participants.forConversations(session.orgId, cids), store.messages.lastVisible(session.orgId, cids, session.userId), store.retention.periods(session.orgId, cids)]);
    for (const cid of cids) {
      const cutoff = cutoffOf(periods, cid, now);
      const m = last.get(cid);
      if (cutoff !== undefined && m && m.created_at < cutoff) last.delete(cid);
    }
    const marker = new Map(rows.filter((r) => r.user_id === session.userId).map((r) => [r.conversation_id, r.last_read_message_id]));
    const lastIds = [...last.values()].map((m) => m._id);
    const [read, reactions, unread] = await Promise.all([
      store.statuses.withAnyStatus(lastIds),
      store.reactions.summaries(lastIds, session.userId),
      Promise.all(convs.map((c) => store.messages.countUnread(session.orgId, c._id, session.userId, marker.get(c._id) ?? null))),
    ]);
    const conversations = convs.map((c, i) => {
      const out: ConversationWire = { ...publicConversation(c, deps.files.imageUrl(c.image_object, now)), unread_messages_count: unread[i] ?? 0 };
      const m = last.get(c._id);
      if (m) {
        const lm: Partial<LastMessageWire> = { _id: m._id, from: m.from, t: m.t };
        if (m.body !== null) lm.body = m.body;
        if (m.attachments !== null) lm.attachments = m.attachments as AttachmentWire[];
        lm.status = read.has(m._id) ? 'read' : 'sent';
        lm.reactions = reactions.get(m._id) ?? {};
        out.last_message = lm as LastMessageWire;
      }
      return out;
    });
    return { response: { conversations } };
  },
});
