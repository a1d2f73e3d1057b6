import { requireMember } from '../../domain/conversations.js';
import type { Delivery } from '../../domain/delivery.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_read` (protocol.md §3.6, §4.8): marks messages from other users as read — the listed
 * ones, or every one newer than the caller's read marker (at most the newest 100). Each author
 * gets one `message_read` event listing their newly read messages (stored for offline authors).
 */
export const messageRead = defineHandler({
  kind: 'message_read',
  auth: true,
  schema: RequestSchemas.message_read,
  errors: { fields: { cid: Errors.cidRequired } },
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const { conversation, membership } = await requireMember(store, session.orgId, input.cid, session.userId);
    if (conversation.type === 'c') throw samaError(Errors.forbidden);
    const candidates = input.ids
      ? await store.messages.list(session.orgId, conversation._id, session.userId, { ids: input.ids, limit: input.ids.length })
      : await store.messages.list(session.orgId, conversation._id, session.userId, { limit: 100 });
    const marker = membership.last_read_message_id;
    const fromOthers = candidates.filter((m) => m.from !== session.userId && (input.ids !== undefined || marker === null || m._id > marker));
    const fresh = new Set(await store.statuses.record(conversation._id, fromOthers.map((m) => m._id), session.userId, 'read', now));
    const newest = candidates.reduce<string | undefined>((max, m) => (max === undefined || m._id > max ? m._id : max), undefined);
    if (newest !== undefined) await store.participants.markRead(conversation._id, session.userId, newest);
    const byAuthor = new Map<string, string[]>();
    for (const m of fromOthers) if (fresh.has(m._id)) byAuthor.set(m.from, [...(byAuthor.get(m.from) ?? []), m._id]);
    const deliver: Delivery[] = [...byAuthor].map(([author, ids]) => ({ orgId: session.orgId, to: [author], packet: { message_read: { ids: ids.sort(), cid: conversation._id, from: session.userId } }, offline: 'oplog' }));
    return { response: { success: true }, deliver };
  },
});
