import { newId } from '../protocol/ids.js';
import type { AttachmentWire, MessageWire } from '../protocol/models.js';
import type { ConversationRecord, ConversationType, MessageInsert, MessageRecord, Store } from '../store/store.js';
import type { MessagePlace } from './delivery.js';

/** Message `t`: the current time in unix seconds rounded up (protocol.md §0). */
export function messageTime(nowMs: number): number {
  return Math.ceil(nowMs / 1000);
}

/**
 * The wire shape of a message (protocol.md §4.1): `x` always present, fields the sender did not
 * supply absent. `cType` is added for live events only (lists carry no `c_type`).
 */
export function messageWire(m: MessageRecord, cType?: ConversationType): MessageWire {
  // Built field by field in wire order (SAMA's order; absent fields left out), then complete.
  const out: Partial<MessageWire> = { _id: m._id, cid: m.cid };
  if (cType !== undefined) out.c_type = cType;
  out.from = m.from;
  out.t = m.t;
  if (m.body !== null) out.body = m.body;
  // Stored attachments passed the Attachment schema (message) or the handler output checks.
  if (m.attachments !== null) out.attachments = m.attachments as AttachmentWire[];
  out.x = m.x ?? {};
  if (m.replied_message_id !== null) out.replied_message_id = m.replied_message_id;
  if (m.forwarded_message_id !== null) out.forwarded_message_id = m.forwarded_message_id;
  if (m.encrypted_message_type !== null) out.encrypted_message_type = m.encrypted_message_type;
  const created = new Date(m.created_at).toISOString();
  out.created_at = created;
  // Most messages were never edited: one conversion serves both fields.
  out.updated_at = m.updated_at === m.created_at ? created : new Date(m.updated_at).toISOString();
  return out as MessageWire;
}

/**
 * Stores a participant system message (protocol.md §5.6: "has been added", "has left", image
 * updated...) as a real message from `from`, and returns the record with its live `message` packet.
 * These are persisted, listed by message_list and counted as unread.
 */
export async function storeSystemMessage(store: Store, conv: ConversationRecord, from: string, body: string, x: Record<string, unknown>, nowMs: number): Promise<{ record: MessageRecord; packet: Record<string, unknown>; place?: MessagePlace }> {
  const draft: MessageRecord = {
    _id: newId(),
    organization_id: conv.organization_id,
    cid: conv._id,
    from,
    client_id: null,
    body,
    attachments: null,
    x,
    replied_message_id: null,
    forwarded_message_id: null,
    encrypted_message_type: null,
    t: messageTime(nowMs),
    created_at: nowMs,
    updated_at: nowMs,
  };
  const inserted = await store.messages.insert(draft);
  const place = placeOf(inserted);
  return { record: inserted.record, packet: { message: messageWire(inserted.record, conv.type) }, ...(place ? { place } : {}) };
}

/**
 * Where a newly stored message sits in its conversation, for a store that orders messages across
 * nodes (MessageInsert.prev); undefined from one that does not (one node keeps order in process).
 */
export function placeOf(inserted: MessageInsert): MessagePlace | undefined {
  const { record, prev } = inserted;
  if (prev === undefined) return undefined;
  return { orgId: record.organization_id, cid: record.cid, id: record._id, prev: prev?.id ?? null, prevAt: prev?.createdAt ?? null, at: record.created_at };
}
