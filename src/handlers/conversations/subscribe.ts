import { handOverOwnership } from '../../domain/conversations.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { LimitError } from '../../store/store.js';
import { defineHandler } from '../define.js';

/** No `cid` names no channel: the same 400 as an unknown one (protocol.md §3.4). */
const errors = { fields: { cid: { missing: Errors.badRequest } } };

/** `conversation_subscribe` (protocol.md §3.4): anyone in the organization joins a channel; idempotent; capped. */
export const conversationSubscribe = defineHandler({
  kind: 'conversation_subscribe',
  auth: true,
  schema: RequestSchemas.conversation_subscribe,
  errors,
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session, now }) {
    const conv = await deps.store.conversations.byId(session.orgId, input.cid);
    if (conv?.type !== 'c') throw samaError(Errors.badRequest);
    try {
      await deps.store.participants.add(session.orgId, conv._id, [{ user_id: session.userId, role: null }], now, deps.config.conversationMaxParticipants);
    } catch (err) {
      if (err instanceof LimitError) throw samaError(Errors.participantLimit);
      throw err;
    }
    return { response: { success: true } };
  },
});

/** `conversation_unsubscribe`: leaves a channel; the last one out deletes it; an owner hands over. */
export const conversationUnsubscribe = defineHandler({
  kind: 'conversation_unsubscribe',
  auth: true,
  schema: RequestSchemas.conversation_unsubscribe,
  errors,
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session, now }) {
    const { store } = deps;
    const conv = await store.conversations.byId(session.orgId, input.cid);
    if (conv?.type !== 'c') throw samaError(Errors.badRequest);
    const removed = await store.participants.remove(session.orgId, conv._id, [session.userId]);
    if (removed.length > 0) {
      if ((await store.participants.list(conv._id)).length === 0) await store.conversations.delete(session.orgId, conv._id);
      else if (conv.owner_id === session.userId) await handOverOwnership(store, conv, now);
    }
    return { response: { success: true } };
  },
});
