import { randomBytes } from 'node:crypto';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { MessageRecord, Store } from '../store.js';
import { freshOrg, makeUser } from './harness.js';

/** What fillOrganization made. */
export interface FilledOrganization {
  readonly orgId: string;
  /** Owner of the group, blocker, uploader of a conversation file. */
  readonly a: string;
  /** Member of the group, reader, key-bundle holder, recipient of pushes. */
  readonly b: string;
  /** A group of a (owner) and b. */
  readonly group: string;
  /** The private conversation of a and b. */
  readonly direct: string;
  /** Messages sent by a and by b. */
  readonly sentBy: { readonly a: readonly string[]; readonly b: readonly string[] };
  /** Object ids of files uploaded by a and by b. */
  readonly filesOf: { readonly a: readonly string[]; readonly b: readonly string[] };
}

const FAR = Date.now() + 365 * 86_400_000;

/**
 * A fresh organization with a row in every table of the schema, written through the public
 * ports: two users with tokens, a group and a private conversation with messages (one hidden
 * for a reader, one queued in an encrypted inbox), read statuses, reactions, key bundles with
 * pre-keys, a conversation handler, operations-log rows, pushes in the outbox, push
 * subscriptions and a push event, block-list rows, address books, and files with links. Used to
 * prove that deleting an organization or a user removes what it should and nothing else.
 */
export async function fillOrganization(store: Store): Promise<FilledOrganization> {
  const orgId = await freshOrg(store);
  const now = Date.now();
  const a = (await makeUser(store, orgId, { email: `a-${newId()}@example.com`, phone: `+1${randomBytes(4).readUInt32BE()}` }))._id;
  const b = (await makeUser(store, orgId))._id;
  for (const user of [a, b]) {
    await store.tokens.put({ organization_id: orgId, user_id: user, device_id: 'd1', type: 'refresh', token_hash: randomBytes(16).toString('hex'), expires_at: FAR, created_at: now });
  }
  const conv = { organization_id: orgId, description: null, image_object: null, is_encrypted: false, created_at: now };
  const group = (await store.conversations.create({ ...conv, _id: newId(), type: 'g', name: 'group', owner_id: a, opponent_id: null }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]))._id;
  const direct = (await store.conversations.create({ ...conv, _id: newId(), type: 'u', name: null, owner_id: a, opponent_id: b }, [{ user_id: a, role: null }, { user_id: b, role: null }]))._id;
  let clock = now;
  const msg = (cid: string, from: string): MessageRecord => {
    clock += 1;
    return { _id: newIdAt(clock), organization_id: orgId, cid, from, client_id: null, body: `m${clock}`, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: Math.ceil(clock / 1000), created_at: clock, updated_at: clock };
  };
  await store.encryptedDevices.register({ organization_id: orgId, user_id: b, device_id: 'k1', identity_key: 'ik', signed_key: 'sk', created_at: now, updated_at: now, expires_at: FAR }, [{ key_id: null, pre_key: 'pk1' }, { key_id: null, pre_key: 'pk2' }], 5);
  await store.encryptedDevices.register({ organization_id: orgId, user_id: a, device_id: 'k2', identity_key: 'ik', signed_key: 'sk', created_at: now, updated_at: now, expires_at: FAR }, [{ key_id: 'x', pre_key: 'pk3' }], 5);
  const push = (to: string): { _id: string; organization_id: string; user_id: string; payload: string; created_at: number } => ({ _id: newId(), organization_id: orgId, user_id: to, payload: '{"title":"t","body":"b"}', created_at: now });
  const sentByA = [
    (await store.messages.insert(msg(group, a), [b], [push(b)], { devices: [{ user_id: b, device_id: 'k1' }], expiresAt: FAR })).record._id,
    (await store.messages.insert(msg(group, a))).record._id,
    (await store.messages.insert(msg(direct, a), [], [push(b)])).record._id,
  ];
  const sentByB = [(await store.messages.insert(msg(group, b), [], [push(a)], { devices: [{ user_id: a, device_id: 'k2' }], expiresAt: FAR })).record._id, (await store.messages.insert(msg(direct, b))).record._id];
  await store.messages.hideFor(orgId, group, [sentByB[0] ?? ''], a);
  await store.statuses.record(group, sentByA.slice(0, 2), b, 'read', now);
  await store.statuses.record(group, sentByB.slice(0, 1), a, 'read', now);
  await store.reactions.add(sentByA[1] ?? '', group, b, '+1', now);
  await store.reactions.add(sentByB[0] ?? '', group, a, 'heart', now);
  await store.conversationHandlers.put({ organization_id: orgId, conversation_id: group, content: 'function handler() {}', updated_by: a }, now);
  await store.opLog.append([a, b].map((user) => ({ _id: newId(), organization_id: orgId, user_id: user, packet: '{"message":{}}', created_at: now, expires_at: FAR })));
  await store.pushOutbox.enqueue([push(a)]);
  await store.scheduledMessages.insert({ _id: newId(), organization_id: orgId, from: a, cid: group, client_id: 'later', content: { id: 'later', cid: group, body: 'later' }, send_at: FAR, created_at: now }, 10);
  for (const user of [a, b]) {
    await store.pushSubscriptions.upsert({ _id: newId(), organization_id: orgId, user_id: user, platform: 'ios', device_udid: 'phone', web_endpoint: null, web_key_auth: null, web_key_p256dh: null, device_token: `tok-${newId()}`, created_at: now, updated_at: now });
  }
  await store.pushEvents.create({ _id: newId(), organization_id: orgId, user_id: a, user_ids: [b], message: 'e30=', created_at: now, updated_at: now }, [push(b)]);
  await store.pushEvents.create({ _id: newId(), organization_id: orgId, user_id: b, user_ids: [a], message: 'e30=', created_at: now, updated_at: now }, []);
  await store.blocks.block(orgId, a, [b], now);
  await store.blocks.block(orgId, b, [newId()], now);
  for (const user of [a, b]) {
    await store.contacts.insert([{ _id: newId(), organization_id: orgId, user_id: user, first_name: 'Contact', last_name: null, company: null, email: [{ type: 'home', value: 'c@example.com' }], phone: null, created_at: now, updated_at: now }]);
  }
  const file = (user: string): { _id: string; organization_id: string; user_id: string; object_id: string; name: string; size: number; content_type: string; uploaded_at: null; created_at: number; updated_at: number } => ({ _id: newId(), organization_id: orgId, user_id: user, object_id: newId(), name: 'f.txt', size: 3, content_type: 'text/plain', uploaded_at: null, created_at: now, updated_at: now });
  const [fa, fb] = [file(a), file(b)];
  await store.files.insert([fa, fb]);
  await store.files.link(orgId, [fa.object_id], group, now);
  await store.files.link(orgId, [fb.object_id], '*', now);
  await store.retention.set(orgId, '*', 86_400 * 365, now);
  await store.retention.set(orgId, group, 86_400 * 30, now);
  await store.exports.insert({ _id: newId(), organization_id: orgId, user_id: a, requested_by: 'user', status: 'pending', lease_until: null, size: null, error: null, created_at: now, updated_at: now, expires_at: FAR });
  return { orgId, a, b, group, direct, sentBy: { a: sentByA, b: sentByB }, filesOf: { a: [fa.object_id], b: [fb.object_id] } };
}

/** Every table of the schema but the migration bookkeeping: what a filled organization has rows in. */
export const ALL_TABLES = [
  'blocked_users',
  'contacts',
  'conversation_handlers',
  'conversation_participants',
  'conversations',
  'data_exports',
  'encrypted_devices',
  'encrypted_inbox',
  'encrypted_pre_keys',
  'file_links',
  'files',
  'message_hidden',
  'message_reactions',
  'message_statuses',
  'messages',
  'operations_log',
  'organizations',
  'push_events',
  'push_outbox',
  'push_subscriptions',
  'retention_policies',
  'scheduled_messages',
  'user_tokens',
  'users',
] as const;
