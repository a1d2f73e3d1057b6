import { newId } from '../protocol/ids.js';
import type { ConversationRecord, MessageRecord, PushOutboxRecord, PushSubscriptionRecord } from '../store/store.js';

/**
 * The push payload of a chat message (protocol.md §7.2): title is the sender's login in private
 * chats, "<login> | <conversation name>" otherwise. `firstAttachmentUrl` is a download URL of
 * the first attachment when it names a file shared with the conversation, else null.
 */
export function chatPushPayload(senderLogin: string, conv: ConversationRecord, m: MessageRecord, firstAttachmentUrl?: string): Record<string, unknown> {
  return {
    title: conv.type === 'u' ? senderLogin : `${senderLogin} | ${conv.name ?? ''}`,
    is_encrypted: conv.is_encrypted,
    body: m.body ?? '',
    firstAttachmentUrl: firstAttachmentUrl ?? null,
    cid: conv._id,
  };
}

/**
 * The push payload of a conversation event or participant message (protocol.md §7.2 item 2):
 * the conversation's name (or the actor's, for private chats) as title, a sentence as body.
 */
export function conversationPushPayload(conv: ConversationRecord, fallbackTitle: string, body: string): Record<string, unknown> {
  return { title: conv.name ?? fallbackTitle, body, cid: conv._id };
}

/** One outbox row per recipient for the same payload. */
export function outboxRows(orgId: string, recipients: readonly string[], payload: Record<string, unknown>, now: number): PushOutboxRecord[] {
  const text = JSON.stringify(payload);
  return recipients.map((user_id) => ({ _id: newId(), organization_id: orgId, user_id, payload: text, created_at: now }));
}

/** The subscription object as push_subscription_create/list return it: unset fields are absent. */
export function subscriptionWire(s: PushSubscriptionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { _id: s._id, organization_id: s.organization_id, user_id: s.user_id, platform: s.platform };
  if (s.web_endpoint !== null) out.web_endpoint = s.web_endpoint;
  if (s.web_key_auth !== null) out.web_key_auth = s.web_key_auth;
  if (s.web_key_p256dh !== null) out.web_key_p256dh = s.web_key_p256dh;
  out.device_udid = s.device_udid;
  if (s.device_token !== null) out.device_token = s.device_token;
  out.created_at = new Date(s.created_at).toISOString();
  out.updated_at = new Date(s.updated_at).toISOString();
  return out;
}

/**
 * A browser key in the base64url form without padding that RFC 8291 and the Web Push senders use,
 * from either base64url (what `PushSubscription.toJSON()` gives) or standard base64 with `+`, `/`
 * and padding (what SAMA's web client sends). Undefined when the text is neither, or mixes the two
 * alphabets.
 */
export function canonicalWebPushKey(text: string): string | undefined {
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(text);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(text);
  if (!standard && !url) return undefined;
  return Buffer.from(text, standard ? 'base64' : 'base64url').toString('base64url');
}

/**
 * The browser keys in canonical form (see canonicalWebPushKey) when they can encrypt a Web Push
 * message (RFC 8291): `p256dh` an uncompressed P-256 point (65 bytes), `auth` a 16-byte secret.
 * Undefined otherwise.
 */
export function webPushKeys(auth: string, p256dh: string): { auth: string; p256dh: string } | undefined {
  const a = canonicalWebPushKey(auth);
  const p = canonicalWebPushKey(p256dh);
  if (a === undefined || p === undefined) return undefined;
  const point = Buffer.from(p, 'base64url');
  if (Buffer.from(a, 'base64url').length !== 16 || point.length !== 65 || point[0] !== 0x04) return undefined;
  return { auth: a, p256dh: p };
}

/** True for an https URL, the only kind of Web Push endpoint browsers hand out. */
export function validWebPushEndpoint(endpoint: string): boolean {
  try {
    return new URL(endpoint).protocol === 'https:';
  } catch {
    return false;
  }
}
