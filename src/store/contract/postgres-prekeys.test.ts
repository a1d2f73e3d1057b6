import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { TestPostgres, twoPostgresNodes } from '../../../test/helpers/postgres.js';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { Store } from '../store.js';

const skip = TestPostgres.unavailable();
if (skip) console.log(`# skipping PostgreSQL pre-key claim test: ${skip}`);

/**
 * Two stores on one database stand for two nodes of a cluster, each with its own connection
 * pool: claims of one-time pre-keys and listings of one device's inbox, made on both at once, never
 * hand out a key or a message twice, and lose none.
 */
describe('PostgreSQL: one-time pre-keys and inboxes across nodes', { skip: skip ?? false }, () => {
  const nodes = twoPostgresNodes();

  it('hands each one-time pre-key to one claim of one node', async () => {
    const [n1, n2] = nodes();
    const org = newId();
    await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
    const user = newId();
    const keys = Array.from({ length: 100 }, () => ({ key_id: null, pre_key: randomBytes(32).toString('base64') }));
    const now = Date.now();
    await n1.encryptedDevices.register({ organization_id: org, user_id: user, device_id: 'phone', identity_key: 'i', signed_key: 's', created_at: now, updated_at: now, expires_at: now + 60_000 }, keys, 20);
    const claims = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? n1 : n2).encryptedDevices.claim(org, [user], now)));
    const handed = claims.flatMap((c) => c.flatMap((b) => (b.one_time_pre_key === undefined ? [] : [b.one_time_pre_key])));
    assert.equal(new Set(handed).size, handed.length, 'a key was handed out twice');
    assert.deepEqual(new Set(handed), new Set(keys.map((k) => k.pre_key)), 'every key handed out once');
  });

  it('hands each queued message to one listing of one node', async () => {
    const [n1, n2] = nodes();
    const org = newId();
    await n1.organizations.insert({ _id: org, name: `o${org}`, now: 1 });
    const [a, b] = [newId(), newId()];
    const conv = await n1.conversations.create({ _id: newId(), organization_id: org, type: 'u', name: null, description: null, owner_id: a, opponent_id: b, image_object: null, is_encrypted: true, created_at: 1 }, [{ user_id: a, role: 'owner' }, { user_id: b, role: null }]);
    const now = Date.now();
    const sent = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? n1 : n2).messages.insert({ _id: newIdAt(now + i), organization_id: org, cid: conv._id, from: a, client_id: `c${i}`, body: 'ciphertext', attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: 1, t: 1, created_at: now + i, updated_at: now + i }, [], [], { devices: [{ user_id: b, device_id: 'phone' }], expiresAt: now + 60_000 })));
    const device = { user_id: b, device_id: 'phone' };
    // As message_list: read the queue, then keep what this call's acknowledgement removed.
    const list = async (node: Store, limit: number): Promise<string[]> => {
      const queued = await node.encryptedInbox.queued(org, device, conv._id, { limit }, now);
      return node.encryptedInbox.ack(device, conv._id, queued.map((m) => m._id));
    };
    const pages = await Promise.all(Array.from({ length: 40 }, (_, i) => list(i % 2 === 0 ? n1 : n2, 2 + (i % 3))));
    const got = pages.flat();
    assert.equal(new Set(got).size, got.length, 'a message was handed twice');
    const rest = await list(n1, 100);
    assert.deepEqual(new Set([...got, ...rest]), new Set(sent.map((s) => s.record._id)), 'none lost');
  });
});
