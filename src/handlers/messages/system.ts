import { conversationRecipients, requireMember } from '../../domain/conversations.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `system_message` (protocol.md §3.6): a custom, unpersisted event to a conversation (caller must
 * be a participant) or to up to 20 users of the organization. Acknowledged with `ask`; never stored
 * for offline users. Giving both `cid` and `uids` is refused like giving neither.
 */
export const systemMessage = defineHandler({
  kind: 'system_message',
  auth: true,
  schema: RequestSchemas.system_message,
  // Only too many `uids` is catalogued; other `cid`/`uids` type errors are the validator's text.
  errors: { fields: { id: Errors.incorrectMessageId, uids: { tooMany: Errors.uidsMaxLength }, x: Errors.xRequired } },
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    if ((input.cid === undefined) === (input.uids === undefined)) throw samaError(Errors.cidOrUidsRequired);
    const t = Math.ceil(now / 1000);
    let to: string[];
    const event: Record<string, unknown> = { _id: input.id, from: session.userId, t, x: input.x };
    if (input.cid !== undefined) {
      const { conversation } = await requireMember(store, session.orgId, input.cid, session.userId);
      to = await conversationRecipients(store, conversation);
      event.cid = conversation._id;
    } else {
      to = (await store.users.byIds(session.orgId, input.uids ?? [])).map((u) => u._id);
    }
    return { packet: { ask: { mid: input.id, t } }, deliver: [{ orgId: session.orgId, to, packet: { system_message: event }, exceptDevice: { userId: session.userId, deviceId: session.deviceId }, offline: 'drop' }] };
  },
});
