import type { Delivery } from './delivery.js';
import { storeSystemMessage } from './messages.js';
import { displayName, publicUser } from './users.js';
import type { ConversationRecord, Store, UserRecord } from '../store/store.js';

/** The sentence kinds of participant system messages (protocol.md §5.6). */
export type ParticipantEvent = 'added_participant' | 'removed_participant' | 'left_participants';

const SENTENCE: Record<ParticipantEvent, string> = {
  added_participant: 'has been added to the conversation',
  removed_participant: 'has been removed from the conversation',
  left_participants: 'has left the conversation',
};

/**
 * Stores a participant system message about `subject` ("<name> has been added …", x.type and
 * x.user) from `actorId`, and returns its delivery to `to` — the actor's own devices included,
 * as SAMA does for these — with op-log rows for offline recipients.
 */
export async function participantMessage(store: Store, conv: ConversationRecord, actorId: string, kind: ParticipantEvent, subject: UserRecord, to: readonly string[], now: number): Promise<Delivery> {
  const sentence = `${displayName(subject)} ${SENTENCE[kind]}`;
  const { packet, place } = await storeSystemMessage(store, conv, actorId, sentence, { type: kind, user: publicUser(subject) }, now);
  // Pushed like a chat message from the actor: "<actor login> | <conversation>" over the sentence.
  const actor = actorId === subject._id ? subject : await store.users.byId(conv.organization_id, actorId);
  const title = conv.type === 'u' ? (actor?.login ?? '') : `${actor?.login ?? ''} | ${conv.name ?? ''}`;
  return { orgId: conv.organization_id, to, packet, offline: 'oplog', push: { payload: { title, body: sentence, cid: conv._id }, actorId }, ...(place ? { place } : {}) };
}
