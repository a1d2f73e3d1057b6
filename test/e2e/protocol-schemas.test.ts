import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HANDLERS } from '../../src/handlers/index.js';
import { EventSchemas } from '../../src/protocol/events.js';
import { ReplySchemas } from '../../src/protocol/replies.js';
import { CreateFilesWire, RequestSchemas } from '../../src/protocol/requests/index.js';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestDevice } from '../helpers/e2ee-device.js';
import { TestServer } from '../helpers/server.js';
import { checkedKinds, eventProblem, replyProblem } from '../helpers/wire-check.js';

/**
 * The schemas in src/protocol are the contract the client SDK is typed with (its types are
 * generated from them). The server validates requests with the same objects; this file checks
 * that real replies and events match the reply and event schemas, packet by packet. TestClient
 * also checks every reply and every event other e2e tests look at.
 */
describe('protocol schemas', () => {
  it('name every handler, and handlers validate with exactly these request schemas', () => {
    assert.deepEqual([...HANDLERS.keys()].sort(), Object.keys(RequestSchemas).sort());
    assert.deepEqual(Object.keys(ReplySchemas).sort(), Object.keys(RequestSchemas).sort());
    for (const [kind, h] of HANDLERS) {
      const expected = kind === 'create_files' ? CreateFilesWire : RequestSchemas[kind as keyof typeof RequestSchemas];
      assert.equal(h.validator.schema, expected, `${kind} validates with RequestSchemas.${kind}`);
    }
  });

  it('catch a field the schemas do not know, and a missing one', () => {
    const user = { _id: 'a'.repeat(24), native_id: 'a'.repeat(24), login: 'x', recent_activity: 1, created_at: 'c', updated_at: 'u' };
    assert.equal(replyProblem('user_create', { id: '1', user }), undefined);
    assert.match(replyProblem('user_create', { user: { ...user, password_hash: 'h' } }) ?? '', /does not match/);
    assert.match(replyProblem('message', { server_mid: 'm', t: 1, modified: null }) ?? '', /does not match/);
    assert.match(eventProblem({ typing: { cid: 'c', c_type: 'x', from: 'f', t: 1 } }) ?? '', /does not match/);
    assert.equal(eventProblem({ typing: { error: { status: 404, message: 'Conversation not found.' } } }), undefined);
  });

  describe('against a running server', () => {
    let server: TestServer;
    before(async () => {
      server = await TestServer.start({ CHAT_BOT_LOGIN: 'schema-bot', DATA_EXPORT_POLL_INTERVAL_MS: '100' });
    });
    after(() => server.stop());

    const ok = (r: Frame): Frame => {
      assert.equal(r.error, undefined, JSON.stringify(r));
      return r;
    };

    it('answers every packet and sends every event in the shape its schema gives', { timeout: 60_000 }, async () => {
      const org = await server.createOrg();
      const [a, b, c, gone] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org), server.createUser(org)]);
      await server.createUser(org, { login: 'schema-bot' });
      const ca = await server.loggedIn(a, 'a1');
      const cb = await server.loggedIn(b, 'b1');
      const event = (client: TestClient, name: string, where: (body: Frame) => boolean = () => true): Promise<Frame> =>
        client.next((f) => f[name] !== undefined && f[name].error === undefined && where(f[name])).catch((err: unknown) => {
          throw new Error(`waiting for a ${name} event: ${String(err)}`);
        });

      // users and presence
      ok(await ca.request('ping', {}));
      const cg = await server.client();
      const token = ok(await cg.request('user_login', { organization_id: org, login: gone.login, password: gone.password, device_id: 'g1' })).token as string;
      const cg2 = await server.client();
      ok(await cg2.request('connect', { token, device_id: 'g1' })); // (the server closes cg: same device)
      ok(await cg2.request('user_logout', {}));
      ok(await cg2.request('user_login', { organization_id: org, login: gone.login, password: gone.password, device_id: 'g2' }));
      ok(await cg2.request('user_delete', {}));
      const announced = ok(await ca.request('create_files', [{ name: 'a.png', size: 3, content_type: 'image/png' }])).files as Frame[];
      const avatar = announced[0]!.object_id as string;
      assert.equal((await fetch(announced[0]!.upload_url as string, { method: 'PUT', body: 'abc', headers: { 'content-type': 'image/png' } })).status, 200);
      ok(await ca.request('get_file_urls', { file_ids: [avatar] }));
      ok(await ca.request('user_edit', { first_name: 'Ann', avatar_object: { file_id: avatar, file_name: 'a.png' } }));
      ok(await ca.request('get_users_by_ids', { ids: [a._id, b._id] }));
      ok(await ca.request('user_search', { keyword: b.login.slice(0, 4) }));
      ok(await cb.request('user_last_activity_subscribe', { id: c._id }));
      const ca2 = await server.loggedIn(a, 'a2');
      ok(await cb.request('user_last_activity', { ids: [a._id, c._id] }));
      ok(await ca.request('online_list', { count: true }));
      ok(await ca.request('online_list', { idsOnly: true }));
      ok(await ca.request('online_list', {}));
      ok(await ca2.request('activity_status', { isInactive: true }));

      // conversations: events to members, to the added and to the removed (offline: op log)
      const cid = ok(await ca.request('conversation_create', { type: 'g', name: 'schemas', participants: [b._id] })).conversation._id as string;
      await event(cb, 'system_message', (body) => body.x.conversation_created !== undefined);
      ok(await ca.request('conversation_update', { id: cid, name: 'schemas 2', participants: { add: [c._id] } }));
      await event(cb, 'system_message', (body) => body.x.conversation_updated !== undefined);
      await event(cb, 'message', (body) => body.x.type === 'added_participant');
      ok(await ca.request('conversation_update', { id: cid, participants: { remove: [c._id] }, admins: { add: [b._id] } }));
      await event(cb, 'message', (body) => body.x.type === 'removed_participant');
      ok(await ca.request('conversation_list', {}));
      ok(await ca.request('conversation_search', { name: 'schemas' }));
      ok(await ca.request('get_participants_by_cids', { cids: [cid] }));
      ok(await ca.request('get_admins_by_cids', { cids: [cid] }));
      const channel = ok(await ca.request('conversation_create', { type: 'c', name: 'news' })).conversation._id as string;
      ok(await cb.request('conversation_subscribe', { cid: channel }));
      ok(await cb.request('conversation_unsubscribe', { cid: channel }));
      const doomed = ok(await ca.request('conversation_create', { type: 'g', name: 'doomed', participants: [b._id] })).conversation._id as string;
      ok(await cb.request('conversation_delete', { id: doomed }));
      ok(await ca.request('conversation_update', { id: doomed, participants: { remove: [a._id] } }));

      // conversation handlers: a bot reply comes back in ask.bot_message
      const botted = ok(await ca.request('conversation_create', { type: 'g', name: 'bot', participants: [b._id] })).conversation._id as string;
      ok(await ca.request('conversation_handler_create', { cid: botted, content: 'const handler = async (m, u, accept, resolve) => resolve({ message: { body: "hi " + m.body } }); export default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH);' }));
      ok(await ca.request('get_conversation_handler', { cid: botted }));
      const botAsk = ok(await ca.request('message', { id: 'bot-1', cid: botted, body: 'there' }));
      assert.notEqual(botAsk.ask.bot_message, null, JSON.stringify(botAsk));
      ok(await ca.request('conversation_handler_delete', { cid: botted }));

      // messages and their events
      const ask = ok(await ca.request('message', { id: 'm-1', cid, body: 'hello', x: { k: 1 }, attachments: [{ file_id: 'f1', file_name: 'a.png', extra: true }] })).ask as Frame;
      await event(cb, 'message', (body) => body._id === ask.server_mid);
      ok(await ca.request('message_edit', { id: ask.server_mid, body: 'hello!' }));
      await event(cb, 'message_edit');
      ok(await cb.request('message_reactions_update', { mid: ask.server_mid, add: '👍' }));
      await event(ca, 'message_reactions_update');
      ok(await ca.request('message_reactions_list', { mid: ask.server_mid }));
      ok(await cb.request('message_read', { cid }));
      await event(ca, 'message_read');
      ok(await ca.request('message_list', { cid }));
      ok(await ca.request('message_list', { cid, updated_at: { gt: 0 } }));
      ok(await ca.request('parley_message_schedule', { id: 'later-1', cid, body: 'later', x: { k: 1 }, send_at: Date.now() + 3_600_000 }));
      ok(await ca.request('parley_scheduled_list', { cid, limit: 1 }));
      ok(await ca.request('parley_scheduled_cancel', { id: 'later-1' }));
      const found = ok(await ca.request('parley_message_search', { query: 'hello', limit: 1 }));
      assert.equal(found.hits.length, 1, JSON.stringify(found));
      ca.send({ typing: { cid, status: 'start' } });
      await event(cb, 'typing');
      ok(await ca.request('system_message', { id: 's-1', cid, x: { custom: 1 } }));
      await event(cb, 'system_message', (body) => body._id === 's-1');
      ok(await ca.request('message_delete', { cid, ids: [ask.server_mid], type: 'all' }));
      await event(cb, 'message_delete');
      const direct = ok(await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
      await event(cb, 'system_message', (body) => body._id === direct);
      const sealed = ok(await ca.request('message', { id: 'm-2', cid: direct, body: 'sealed', encrypted_message_type: 1 })).ask as Frame;
      ok(await cb.request('message_decryption_failed', { cid: direct, ids: [sealed.server_mid] }));
      await event(ca, 'message_decryption_failed');

      // c was offline for all of it: every packet in its operations log is an event of the schemas
      const cc = await server.loggedIn(c, 'c1');
      await event(cb, 'last_activity', (body) => body[c._id] === 0);
      ok(await cb.request('user_last_activity_unsubscribe', {}));
      const logs = ok(await cc.request('op_log_list', { created_at: { gt: 0 } })).logs as { packet: string }[];
      assert.ok(logs.length >= 3, JSON.stringify(logs));
      for (const row of logs) {
        const packet = JSON.parse(row.packet) as Frame;
        assert.equal(eventProblem(packet), undefined);
        assert.ok(Object.hasOwn(EventSchemas, Object.keys(packet)[0] ?? ''), row.packet);
      }
      assert.ok(logs.some((r) => (JSON.parse(r.packet) as Frame).system_message?.x.conversation_kicked), 'kicked event stored');


      // address book and block list
      const contact = ok(await ca.request('contact_add', { first_name: 'Bob', email: [{ type: 'work', value: `${b.login.toLowerCase()}@example.com` }] })).contact as Frame;
      ok(await ca.request('contact_batch_add', { contacts: [{ first_name: 'Cy', email: [{ type: 'home', value: 'cy@example.com' }], phone: [{ type: 'm', value: '12345' }] }] }));
      ok(await ca.request('contact_update', { id: contact._id, company: 'Acme' }));
      ok(await ca.request('contact_list', {}));
      ok(await ca.request('contact_delete', { id: contact._id }));
      ok(await ca.request('block_user', { ids: [c._id] }));
      ok(await ca.request('list_blocked_users', {}));
      ok(await ca.request('block_list_enable', { enable: false }));
      ok(await ca.request('unblock_user', { ids: [c._id] }));

      // push and encryption keys
      ok(await ca.request('push_subscription_create', { platform: 'ios', device_udid: 'a1', device_token: 'tok' }));
      ok(await ca.request('push_subscription_list', { user_id: a._id }));
      ok(await ca.request('push_subscription_delete', { device_udid: 'a1' }));
      ok(await ca.request('push_event_create', { recipients_ids: [b._id], message: { title: 't', body: 'b' } }));
      ok(await cb.request('device_register', new TestDevice().register(2)));
      ok(await cb.request('device_list', {}));
      ok(await ca.request('request_keys', { user_ids: [b._id] }));
      ok(await cb.request('device_delete', { device_id: 'b1' }));

      // Parley's own packets (docs/protocol-extensions.md)
      ok(await ca.request('parley_conversation_retention', { cid, seconds: 86_400 }));
      const exportJob = ok(await ca.request('parley_data_export', {})).export as Frame;
      await event(ca, 'parley_data_export_ready');
      ok(await ca.request('parley_data_export_status', { id: exportJob._id }));

      // Everything but what needs a mail service or an AI provider (test/e2e/ai.test.ts,
      // password-reset.test.ts check those replies through TestClient too) was checked here.
      const elsewhere = new Set(['typing', 'user_send_otp', 'user_reset_password', 'message_summary', 'message_tone']);
      const missing = Object.keys(ReplySchemas).filter((k) => !elsewhere.has(k) && !checkedKinds.has(`reply:${k}`));
      assert.deepEqual(missing, [], 'replies not exercised');
      const missingEvents = Object.keys(EventSchemas).filter((k) => !checkedKinds.has(`event:${k}`));
      assert.deepEqual(missingEvents, [], 'events not exercised');
      await Promise.all([ca, ca2, cb, cc, cg, cg2].map((x) => x.close()));
    });
  });
});
