import { isAdmin, requireMember } from '../../domain/conversations.js';
import { effectivePeriod } from '../../domain/retention.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `parley_conversation_retention` (docs/protocol-extensions.md, Retention). Any participant may
 * read the periods; setting or clearing the conversation's own period takes the rights of
 * `conversation_update`: in a group or channel its owner or an admin, in a private chat either
 * participant (403 otherwise). Messages older than the effective period stop being listed at
 * once; the sweeper deletes them and sends `message_delete`.
 */
export const conversationRetention = defineHandler({
  kind: 'parley_conversation_retention',
  auth: true,
  schema: RequestSchemas.parley_conversation_retention,
  errors: { fields: { cid: Errors.cidRequired, seconds: Errors.incorrectRetentionPeriod } },
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const { conversation, membership } = await requireMember(store, session.orgId, input.cid, session.userId);
    if (input.seconds !== undefined) {
      if (conversation.type !== 'u' && !isAdmin(conversation, membership)) throw samaError(Errors.forbidden);
      await store.retention.set(session.orgId, conversation._id, input.seconds, now);
    }
    const periods = await store.retention.periods(session.orgId, [conversation._id]);
    return {
      response: {
        retention: {
          cid: conversation._id,
          seconds: periods.conversations.get(conversation._id) ?? null,
          organization_seconds: periods.organization,
          effective_seconds: effectivePeriod(periods, conversation._id),
        },
      },
    };
  },
});
