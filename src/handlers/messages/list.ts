import { requireMember } from '../../domain/conversations.js';
import { messageWire } from '../../domain/messages.js';
import { retentionCutoff } from '../../domain/retention.js';
import { Errors } from '../../protocol/errors.js';
import { optionalDateMs } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_list` (protocol.md §3.6): the caller's view of a conversation — messages hidden for
 * the caller excluded; `status` on the caller's own messages ("read" once any recipient has a
 * status row); `reactions` `{}` or `{own, total}`. `updated_at.gt` lists oldest first, otherwise
 * newest first. In an encrypted conversation it lists the calling device's encrypted inbox
 * instead (oldest first, each message once; `ids` picks among it; `updated_at` is ignored).
 * Messages older than the conversation's retention period are never listed, even before the
 * sweeper deletes them (docs/protocol-extensions.md, Retention).
 */
export const messageList = defineHandler({
  kind: 'message_list',
  auth: true,
  schema: RequestSchemas.message_list,
  errors: { fields: { cid: Errors.cidRequired } },
  async handle(input, { deps, session, now }) {
    const { store, config } = deps;
    const { conversation } = await requireMember(store, session.orgId, input.cid, session.userId);
    const gt = optionalDateMs(input.updated_at?.gt, 'updated_at.gt');
    const lt = optionalDateMs(input.updated_at?.lt, 'updated_at.lt');
    const limit = Math.min(input.limit ?? config.messagePreloadCount, config.messagePreloadCount);
    const page = input.ids ? Math.min(input.ids.length, 100) : limit;
    // An encrypted conversation lists this device's inbox: what it has not been handed yet,
    // oldest first (protocol.md §3.11; docs/decisions.md).
    const device = { user_id: session.userId, device_id: session.deviceId };
    const createdFrom = await retentionCutoff(store, session.orgId, conversation._id, now);
    const listed = conversation.is_encrypted
      ? (await store.encryptedInbox.queued(session.orgId, device, conversation._id, { limit: page, ids: input.ids }, now)).filter((m) => createdFrom === undefined || m.created_at >= createdFrom)
      : await store.messages.list(session.orgId, conversation._id, session.userId, { limit: page, ids: input.ids, updatedAfter: gt, updatedBefore: gt === undefined ? lt : undefined, createdFrom });
    const ids = listed.map((m) => m._id);
    const [read, reactions] = await Promise.all([store.statuses.withAnyStatus(listed.filter((m) => m.from === session.userId).map((m) => m._id)), store.reactions.summaries(ids, session.userId)]);
    // Last store call: the inbox rows go only once the reply is ready (a failure above leaves
    // them queued), and only the ones this request removed are sent, so a concurrent listing of
    // the same device never gets the same message too.
    const handed = conversation.is_encrypted ? new Set(await store.encryptedInbox.ack(device, conversation._id, ids)) : undefined;
    const messages = handed ? listed.filter((m) => handed.has(m._id)) : listed;
    return {
      response: {
        messages: messages.map((m) => {
          const wire = messageWire(m);
          if (m.from === session.userId) wire.status = read.has(m._id) ? 'read' : 'sent';
          wire.reactions = reactions.get(m._id) ?? {};
          return wire;
        }),
      },
    };
  },
});
