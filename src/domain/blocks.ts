import { Errors, samaError } from '../protocol/errors.js';
import { privateOther } from '../store/send-view.js';
import type { ConversationRecord, Store } from '../store/store.js';

/**
 * Refuses communication in a private conversation when either side has an enabled block on the
 * other (protocol.md §3.3): 422 "Communication is not possible …". Groups and channels are not
 * affected.
 */
export async function assertNotBlocked(store: Store, conv: ConversationRecord, senderId: string): Promise<void> {
  const other = privateOther(conv, senderId);
  if (other === undefined) return;
  if (await store.blocks.blockedEitherWay(conv.organization_id, senderId, other)) throw samaError(Errors.blocked);
}
