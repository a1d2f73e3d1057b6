import { Errors, samaError, type CatalogEntry } from '../protocol/errors.js';
import type { ConversationWire } from '../protocol/models.js';
import type { ConversationRecord, ParticipantRecord, Store } from '../store/store.js';

/** Wire shape of a conversation (protocol.md §3.4; schema: protocol/models.ts `Conversation`). */
export type PublicConversation = ConversationWire;

/**
 * Renders a conversation for replies and events. Unset fields are absent; `subscribers_count`
 * only for channels; `is_encrypted` only when set (as SAMA stores it). `imageUrl` is filled in by
 * the files feature when it can sign one.
 */
export function publicConversation(c: ConversationRecord, imageUrl?: string): PublicConversation {
  const out: PublicConversation = {
    _id: c._id,
    type: c.type,
    owner_id: c.owner_id,
    organization_id: c.organization_id,
    created_at: new Date(c.created_at).toISOString(),
    updated_at: new Date(c.updated_at).toISOString(),
  };
  if (c.name !== null) out.name = c.name;
  if (c.description !== null) out.description = c.description;
  if (c.opponent_id !== null) out.opponent_id = c.opponent_id;
  if (c.image_object !== null) out.image_object = { ...c.image_object };
  if (imageUrl !== undefined) out.image_url = imageUrl;
  if (c.is_encrypted) out.is_encrypted = true;
  if (c.type === 'c') out.subscribers_count = c.participants_count;
  return out;
}

/** A conversation together with the caller's membership row. */
export interface MemberView {
  readonly conversation: ConversationRecord;
  readonly membership: ParticipantRecord;
}

/**
 * Loads a conversation of the caller's organization and checks the caller is a participant.
 * Unknown (or other organization's) → `notFound` (default 404 `Conversation not found.`);
 * not a participant → 403 `Forbidden.` Another organization's conversation is indistinguishable
 * from a missing one.
 */
export async function requireMember(store: Store, orgId: string, cid: string, userId: string, notFound: CatalogEntry = Errors.conversationNotFound): Promise<MemberView> {
  const conversation = await store.conversations.byId(orgId, cid);
  if (!conversation) throw samaError(notFound);
  const membership = await store.participants.get(cid, userId);
  if (!membership) throw samaError(Errors.forbidden);
  return { conversation, membership };
}

/** True when the user may administer the conversation: its owner, or a participant with role admin. */
export function isAdmin(c: ConversationRecord, p: ParticipantRecord | undefined): boolean {
  return c.owner_id === p?.user_id || p?.role === 'admin';
}

/**
 * Who receives conversation traffic (protocol.md §4.2): for a private chat both sides even if one
 * has left; otherwise every current participant.
 */
export async function conversationRecipients(store: Store, c: ConversationRecord): Promise<string[]> {
  return recipientsOf(c, c.type === 'u' ? [] : await store.participants.list(c._id));
}

/** conversationRecipients with the participant list already read (unused for private chats). */
export function recipientsOf(c: ConversationRecord, participants: readonly ParticipantRecord[]): string[] {
  if (c.type === 'u') return c.opponent_id === null ? [c.owner_id] : [c.owner_id, c.opponent_id];
  return participants.map((r) => r.user_id);
}

/**
 * After the owner left or was removed: the first remaining participant (oldest membership)
 * becomes owner. Returns the updated conversation, or the same one when nobody is left.
 */
export async function handOverOwnership(store: Store, c: ConversationRecord, now: number): Promise<ConversationRecord> {
  const [next] = await store.participants.list(c._id);
  if (!next) return c;
  await store.participants.setRole(c._id, [next.user_id], 'owner', now);
  return (await store.conversations.update(c.organization_id, c._id, { owner_id: next.user_id }, now)) ?? c;
}
