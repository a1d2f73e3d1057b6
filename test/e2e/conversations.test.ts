import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from '../helpers/client.js';
import { TestServer } from '../helpers/server.js';

describe('conversation packets', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ CONVERSATION_MAX_PARTICIPANTS: '4' });
  });
  after(() => server.stop());

  const msgWith = (type: string) => (f: Frame) => f.message?.x?.type === type;

  it('adds and removes participants with the events each side should see', async () => {
    const org = await server.createOrg();
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => server.createUser(org)));
    const ca = await server.loggedIn(a!);
    const cb = await server.loggedIn(b!);
    const cc = await server.loggedIn(c!);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'team', participants: [b!._id] })).conversation._id as string;
    await cb.next((f) => f.system_message !== undefined);
    const up = await ca.request('conversation_update', { id: cid, name: 'team 2', participants: { add: [c!._id] } });
    assert.equal(up.conversation.name, 'team 2');
    const added = await cc.next((f) => f.system_message?.x?.conversation_updated !== undefined);
    assert.equal(added.system_message.x.conversation_updated.unread_messages_count, 1);
    const addMsg = await cb.next(msgWith('added_participant'));
    assert.equal(addMsg.message.x.user._id, c!._id);
    assert.match(addMsg.message.body as string, /has been added to the conversation$/);
    await ca.next(msgWith('added_participant'));
    assert.equal((await cb.next((f) => f.system_message?.x?.conversation_updated !== undefined)).system_message.x.conversation_updated.name, 'team 2');
    // a plain participant may not administer
    assert.deepEqual((await cb.request('conversation_update', { id: cid, name: 'mine' })).error, { status: 403, message: 'Forbidden.' });
    // the cap (4) counts everyone
    assert.deepEqual((await ca.request('conversation_update', { id: cid, participants: { add: [d!._id, (await server.createUser(org))._id] } })).error, { status: 422, message: "You've reached the maximum participant limit." });
    // removal: the removed user is kicked, the others hear it
    await ca.request('conversation_update', { id: cid, participants: { remove: [c!._id] } });
    assert.equal((await cc.next((f) => f.system_message?.x?.conversation_kicked !== undefined)).system_message._id, cid);
    assert.equal((await cb.next(msgWith('removed_participant'))).message.x.user._id, c!._id);
    assert.deepEqual((await cc.request('message_list', { cid })).error, { status: 403, message: 'Forbidden.' });
    // the message history holds the participant messages
    const list = (await cb.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual(list.map((m) => m.x.type), ['removed_participant', 'added_participant']);
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('renames a group sent with an empty participants object (as SAMA\'s web client does), changing nothing else', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => server.createUser(org)));
    const ca = await server.loggedIn(a!);
    const cb = await server.loggedIn(b!);
    const cc = await server.loggedIn(c!);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'Old name', participants: [b!._id, c!._id] })).conversation._id as string;
    await Promise.all([cb, cc].map((x) => x.next((f) => f.system_message?.x?.conversation_created !== undefined)));
    // byte for byte what the web client sends
    ca.sendRaw(`{"request":{"conversation_update":{"id":"${cid}","name":"New name","participants":{}},"id":"rename-1"}}`);
    const reply = await ca.next((f) => f.response?.id === 'rename-1');
    assert.equal(reply.response.error, undefined);
    assert.equal(reply.response.conversation._id, cid);
    assert.equal(reply.response.conversation.name, 'New name');
    for (const other of [cb, cc]) {
      const ev = await other.next((f) => f.system_message?.x?.conversation_updated !== undefined);
      assert.equal(ev.system_message._id, cid);
      assert.equal(ev.system_message.from, a!._id);
      assert.equal(ev.system_message.x.conversation_updated.name, 'New name');
    }
    // the same with an empty admins object, changing the description
    const desc = await ca.request('conversation_update', { id: cid, description: 'About', participants: {}, admins: {} });
    assert.equal(desc.conversation.description, 'About');
    for (const other of [cb, cc]) assert.equal((await other.next((f) => f.system_message?.x?.conversation_updated !== undefined)).system_message.x.conversation_updated.description, 'About');
    // nobody was added, removed or kicked, and the roles stayed
    const membership = (f: Frame): boolean => f.message?.x?.type !== undefined || f.system_message?.x?.conversation_kicked !== undefined || f.system_message?.x?.conversation_updated !== undefined;
    for (const x of [ca, cb, cc]) assert.deepEqual(await x.collect(membership), []);
    const members = await cb.request('get_participants_by_cids', { cids: [cid] });
    assert.deepEqual([...(members.conversations[cid] as string[])].sort(), [a!._id, b!._id, c!._id].sort());
    assert.deepEqual((await ca.request('get_admins_by_cids', { cids: [cid] })).conversations, { [cid]: [a!._id] });
    assert.deepEqual(((await cb.request('message_list', { cid })).messages as Frame[]).map((m) => m.x?.type), []);
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('hands over ownership when the owner leaves and deletes a conversation left empty', async () => {
    const org = await server.createOrg();
    // created one after the other: b's id sorts before c's, so b is the oldest remaining member
    const a = await server.createUser(org);
    const b = await server.createUser(org);
    const c = await server.createUser(org);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'g', participants: [b._id, c._id] })).conversation._id as string;
    assert.deepEqual(await ca.request('conversation_delete', { id: cid }), { id: 'r3', success: true });
    const left = await cb.next(msgWith('left_participants'));
    assert.equal(left.message.x.user._id, a._id);
    assert.deepEqual((await ca.request('conversation_delete', { id: cid })).error, { status: 404, message: 'ConversationParticipant not found.' });
    const admins = await cb.request('get_admins_by_cids', { cids: [cid] });
    assert.deepEqual(admins.conversations, { [cid]: [b._id] });
    assert.equal((await cb.request('conversation_update', { id: cid, participants: { remove: [b._id, c._id] } })).deleted, true);
    assert.deepEqual((await cb.request('conversation_delete', { id: cid })).error, { status: 400, message: 'Bad Request.' });
    await Promise.all([ca.close(), cb.close()]);
  });

  it('lists conversations newest first with unread counts and last messages', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const first = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const second = (await ca.request('conversation_create', { type: 'g', name: 'g', participants: [b._id] })).conversation._id as string;
    for (const body of ['one', 'two']) {
      ca.send({ message: { id: body, cid: first, body } });
      await ca.next((f) => f.ask?.mid === body);
    }
    const list = (await cb.request('conversation_list', {})).conversations as Frame[];
    assert.deepEqual(list.map((c) => c._id), [second, first]);
    const u = list[1]!;
    assert.equal(u.unread_messages_count, 2);
    assert.equal(u.last_message.body, 'two');
    assert.equal(u.last_message.status, 'sent');
    assert.deepEqual(u.last_message.reactions, {});
    assert.equal(list[0]!.last_message, undefined);
    await cb.request('message_read', { cid: first });
    const afterRead = (await cb.request('conversation_list', { ids: [first] })).conversations as Frame[];
    assert.equal(afterRead.length, 1);
    assert.equal(afterRead[0]?.unread_messages_count, 0);
    assert.equal(afterRead[0]?.last_message.status, 'read');
    assert.deepEqual(((await cb.request('conversation_list', { limit: 1 })).conversations as Frame[]).map((c) => c._id), [second]);
    assert.equal((await cb.request('conversation_list', { ids: Array.from({ length: 11 }, () => first) })).error, '"ids" must contain less than or equal to 10 items');
    await Promise.all([ca.close(), cb.close()]);
  });

  it('searches only what the caller may see, and answers participants by conversation', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => server.createUser(org)));
    const ca = await server.loggedIn(a!);
    const cc = await server.loggedIn(c!);
    const tag = `zq${Date.now()}`;
    const secret = (await ca.request('conversation_create', { type: 'g', name: `${tag} secret`, participants: [b!._id] })).conversation._id as string;
    const channel = (await ca.request('conversation_create', { type: 'c', name: `${tag} news` })).conversation._id as string;
    assert.deepEqual((await ca.request('conversation_search', { name: tag.toUpperCase() })).conversations, [channel, secret]);
    assert.deepEqual((await cc.request('conversation_search', { name: tag })).conversations, [channel]);
    assert.equal((await cc.request('conversation_search', {})).error, '"name" is required');
    const parts = await ca.request('get_participants_by_cids', { cids: [secret, channel] });
    assert.deepEqual(parts.conversations[secret].sort(), [a!._id, b!._id].sort());
    assert.deepEqual(parts.users.map((u: Frame) => u._id), [b!._id, a!._id].sort().reverse());
    const none = await cc.request('get_participants_by_cids', { cids: [secret] });
    assert.deepEqual([none.users, none.conversations], [[], {}]);
    assert.deepEqual((await cc.request('get_participants_by_cids', {})).error, { status: 422, message: "'cids' field is required." });
    // channels: subscribe and unsubscribe, idempotently; only channels
    assert.equal((await cc.request('conversation_subscribe', { cid: channel })).success, true);
    assert.equal((await cc.request('conversation_subscribe', { cid: channel })).success, true);
    const listed = ((await ca.request('conversation_list', { ids: [channel] })).conversations as Frame[])[0]!;
    assert.equal(listed.subscribers_count, 2);
    assert.deepEqual((await cc.request('conversation_subscribe', { cid: secret })).error, { status: 400, message: 'Bad Request.' });
    assert.equal((await cc.request('conversation_unsubscribe', { cid: channel })).success, true);
    assert.equal((await cc.request('conversation_unsubscribe', { cid: channel })).success, true);
    // other organizations see nothing
    const foreign = await server.loggedIn(await server.createUser(await server.createOrg()));
    assert.deepEqual((await foreign.request('conversation_search', { name: tag })).conversations, []);
    assert.deepEqual((await foreign.request('conversation_update', { id: secret, name: 'x' })).error, { status: 400, message: 'Bad Request.' });
    assert.deepEqual((await foreign.request('conversation_subscribe', { cid: channel })).error, { status: 400, message: 'Bad Request.' });
    await Promise.all([ca.close(), cc.close(), foreign.close()]);
  });

  it('lets members of a private chat edit its plain fields only, and revives it when a leaver is written to', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => server.createUser(org)));
    const ca = await server.loggedIn(a!);
    const cb = await server.loggedIn(b!);
    const cc = await server.loggedIn(c!);
    const cid = (await ca.request('conversation_create', { type: 'u', participants: [b!._id] })).conversation._id as string;
    assert.deepEqual((await cc.request('conversation_update', { id: cid, name: 'x' })).error, { status: 403, message: 'Forbidden.' });
    assert.equal((await ca.request('conversation_update', { id: cid, description: 'our chat' })).conversation.description, 'our chat');
    await cb.request('conversation_delete', { id: cid });
    await ca.next(msgWith('left_participants'));
    ca.send({ message: { id: 'back', cid, body: 'come back' } });
    await ca.next((f) => f.ask?.mid === 'back');
    assert.equal((await cb.next((f) => f.system_message?.x?.conversation_created !== undefined)).system_message._id, cid);
    assert.equal((await cb.next((f) => f.message?.body === 'come back')).message.cid, cid);
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });
});
