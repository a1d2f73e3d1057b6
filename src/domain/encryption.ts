import type { ConversationRecord, InboxEntry, OneTimePreKey, Store } from '../store/store.js';

/** Longest one-time pre-key name accepted in the object form (the keys themselves: the schema). */
const MAX_KEY_ID_LENGTH = 255;

/**
 * The one-time pre-keys of a `device_register`, in the order they are handed out: an array in
 * its order; an object in JavaScript's key order (integer-like names ascending, then the others
 * as sent), which is the order SAMA hands them out in. Undefined when a name is too long.
 */
export function oneTimePreKeys(keys: Readonly<Record<string, string>> | readonly string[]): OneTimePreKey[] | undefined {
  if (Array.isArray(keys)) return (keys as readonly string[]).map((pre_key) => ({ key_id: null, pre_key }));
  const entries = Object.entries(keys);
  if (entries.some(([name]) => name.length > MAX_KEY_ID_LENGTH)) return undefined;
  return entries.map(([key_id, pre_key]) => ({ key_id, pre_key }));
}

/**
 * The encrypted inboxes a new message of `conv` goes to (protocol.md §3.11): for an encrypted
 * conversation, every live key bundle of every recipient except the sending device and users the
 * message is hidden from; undefined for other conversations. Read before the insert, so a bundle
 * registered while the message is being stored may miss it — its sender could not have
 * encrypted for it anyway.
 */
export async function inboxFor(store: Store, conv: ConversationRecord, recipients: readonly string[], sender: { readonly userId: string; readonly deviceId: string }, hiddenFor: readonly string[], now: number, ttlMs: number): Promise<InboxEntry | undefined> {
  if (!conv.is_encrypted) return undefined;
  const hidden = new Set(hiddenFor);
  const devices = await store.encryptedDevices.devicesOf(conv.organization_id, recipients.filter((id) => !hidden.has(id)), now);
  return { devices: devices.filter((d) => d.user_id !== sender.userId || d.device_id !== sender.deviceId), expiresAt: now + ttlMs };
}
