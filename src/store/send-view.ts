/**
 * ConversationStore.sendView built from the other ports' own reads: for engines where those
 * reads cost no round trip (SQLite) and for the read caches, which answer them from memory.
 */
import type { BlockStore, ConversationStore, ParticipantStore, SendView } from './store.js';
import type { ConversationHandlerStore } from './conversation-handlers.js';

/** The reads sendView is made of. */
export interface SendViewParts {
  readonly conversations: Pick<ConversationStore, 'byId'>;
  readonly participants: Pick<ParticipantStore, 'list'>;
  readonly conversationHandlers: Pick<ConversationHandlerStore, 'byConversation'>;
  readonly blocks: Pick<BlockStore, 'blockedEitherWay'>;
}

/** sendView from separate reads (see ConversationStore.sendView for the answers). */
export async function composeSendView(parts: SendViewParts, orgId: string, cid: string, senderId: string): Promise<SendView | undefined> {
  const [conversation, participants, handler] = await Promise.all([parts.conversations.byId(orgId, cid), parts.participants.list(cid), parts.conversationHandlers.byConversation(orgId, cid)]);
  if (!conversation) return undefined;
  const other = privateOther(conversation, senderId);
  const blocked = other !== undefined && (await parts.blocks.blockedEitherWay(orgId, senderId, other));
  return { conversation, participants, handler, blocked };
}

/** The side of a private conversation that is not `senderId`; undefined for other types. */
export function privateOther(conv: { readonly type: string; readonly owner_id: string; readonly opponent_id: string | null }, senderId: string): string | undefined {
  if (conv.type !== 'u' || conv.opponent_id === null) return undefined;
  return conv.owner_id === senderId ? conv.opponent_id : conv.owner_id;
}
