import { Errors, samaError } from '../protocol/errors.js';
import type { ConversationRecord, Store } from '../store/store.js';

/**
 * Refuses communication in a private conversation when either side has an enabled block on the
 * other (protocol.md §3.3): 422 "Communication is not possible …". Groups and channels are not
 * affected.
 */
export async function assertNotBlocked(store: Store, conv: ConversationRecord, senderId: string): Promise<void> {
  if (conv.type !== 'u' || conv.opponent_id === null) return;
  const other = conv.owner_id === senderId ? conv.opponent_id : conv.owner_id;
  if (await store.blocks.blockedEitherWay(conv.organization_id, senderId, other)) throw samaError(Errors.blocked);
}
