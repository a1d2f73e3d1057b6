import { Errors, SamaError, samaError } from '../../protocol/errors.js';

import { RequestSchemas } from '../../protocol/requests/index.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { SUCCESS, defineHandler } from '../define.js';

/** The conversation, when the caller owns it: unknown → 400 `Bad Request.`, not owner → 403 (protocol.md §3.5). */
async function ownedConversation(store: Store, orgId: string, cid: string, userId: string): Promise<ConversationRecord> {
  const conv = await store.conversations.byId(orgId, cid);
  if (!conv) throw samaError(Errors.badRequest);
  if (conv.owner_id !== userId) throw samaError(Errors.forbidden);
  return conv;
}

/**
 * `conversation_handler_create` (protocol.md §3.5, §8): sets or replaces the conversation's
 * handler script. Parley checks what SAMA does not: the script must compile (422 with the syntax
 * error, so a typo cannot refuse every later message) and stay within
 * CONVERSATION_HANDLER_SOURCE_MAX_BYTES (413). Ordered with the conversation's messages: those
 * sent before it use the old script, those after the new one.
 */
export const conversationHandlerCreate = defineHandler({
  kind: 'conversation_handler_create',
  auth: true,
  schema: RequestSchemas.conversation_handler_create,
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session, now }) {
    const conv = await ownedConversation(deps.store, session.orgId, input.cid, session.userId);
    if (Buffer.byteLength(input.content) > deps.config.handlerSourceMaxBytes) throw samaError(Errors.payloadTooLarge);
    const syntax = await deps.sandbox.check(input.content);
    if (syntax !== undefined) throw new SamaError(422, `The handler does not compile: ${syntax}`);
    await deps.store.conversationHandlers.put({ organization_id: session.orgId, conversation_id: conv._id, content: input.content, updated_by: session.userId }, now);
    return SUCCESS;
  },
});

/**
 * `get_conversation_handler` (protocol.md §3.5): the script, who set it and when; Parley adds
 * `last_error` and `last_error_at` once the current script has failed on a message (it refused
 * that message; docs/decisions.md "Conversation handlers").
 */
export const getConversationHandler = defineHandler({
  kind: 'get_conversation_handler',
  auth: true,
  schema: RequestSchemas.get_conversation_handler,
  async handle(input, { deps, session }) {
    const conv = await ownedConversation(deps.store, session.orgId, input.cid, session.userId);
    const h = await deps.store.conversationHandlers.byConversation(session.orgId, conv._id);
    if (!h) throw samaError(Errors.handlerNotFound);
    const out: Record<string, unknown> = { content: h.content, updated_by: h.updated_by, updated_at: new Date(h.updated_at).toISOString() };
    if (h.last_error !== null) out.last_error = h.last_error;
    if (h.last_error_at !== null) out.last_error_at = new Date(h.last_error_at).toISOString();
    return { response: { conversation_handler: out } };
  },
});

/** `conversation_handler_delete` (protocol.md §3.5): removes the script; later messages pass unhandled. */
export const conversationHandlerDelete = defineHandler({
  kind: 'conversation_handler_delete',
  auth: true,
  schema: RequestSchemas.conversation_handler_delete,
  orderingKey: (input) => input.cid,
  async handle(input, { deps, session }) {
    const conv = await ownedConversation(deps.store, session.orgId, input.cid, session.userId);
    if (!(await deps.store.conversationHandlers.delete(session.orgId, conv._id))) throw samaError(Errors.handlerNotFound);
    return SUCCESS;
  },
});
