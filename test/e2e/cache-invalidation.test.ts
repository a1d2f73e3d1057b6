import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestServer } from '../helpers/server.js';

/**
 * The server caches conversations, memberships and block state for the `message` path. Each test
 * first sends a message (so the cache holds the old state), changes the state, and checks the very
 * next message already follows the change.
 */
const FORBIDDEN = { status: 403, message: 'Forbidden.' };
const BLOCKED = { status: 422, message: 'Communication is not possible - you are in a block list of the recipient.' };

let seq = 0;
/** Sends a message and resolves with the ack or the error frame. */
async function send(c: TestClient, cid: string, body: string): Promise<Frame> {
  const id = `m${++seq}`;
  c.send({ message: { id, cid, body } });
  return c.next((f) => f.ask?.mid === id || f.message?.id === id);
}
const bodyIs = (body: string) => (f: Frame): boolean => f.message?.body === body;

describe('cached reads follow every change at once', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('a removed participant stops receiving and sending, an added one receives the next message', async () => {
    const org = await server.createOrg();
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => server.createUser(org)));
    const [ca, cb, cc, cd] = await Promise.all([a!, b!, c!, d!].map((u) => server.loggedIn(u)));
    const cid = (await ca!.request('conversation_create', { type: 'g', name: 'g', participants: [b!._id, c!._id] })).conversation._id as string;
    assert.ok((await send(ca!, cid, 'one')).ask);
    await Promise.all([cb!.next(bodyIs('one')), cc!.next(bodyIs('one'))]);
    await ca!.request('conversation_update', { id: cid, participants: { remove: [c!._id] } });
    assert.ok((await send(ca!, cid, 'two')).ask);
    await cb!.next(bodyIs('two'));
    assert.deepEqual(await cc!.collect(bodyIs('two')), []);
    assert.deepEqual((await send(cc!, cid, 'from the removed one')).message.error, FORBIDDEN);
    await ca!.request('conversation_update', { id: cid, participants: { add: [d!._id] } });
    assert.ok((await send(ca!, cid, 'three')).ask);
    await Promise.all([cb!.next(bodyIs('three')), cd!.next(bodyIs('three'))]);
    await Promise.all([ca, cb, cc, cd].map((x) => x!.close()));
  });

  it('a member who leaves cannot send, and a deleted conversation is not found', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([0, 1].map(() => server.createUser(org)));
    const [ca, cb] = await Promise.all([a!, b!].map((u) => server.loggedIn(u)));
    const cid = (await ca!.request('conversation_create', { type: 'g', name: 'g', participants: [b!._id] })).conversation._id as string;
    assert.ok((await send(cb!, cid, 'hi')).ask);
    assert.equal((await cb!.request('conversation_delete', { id: cid })).success, true);
    assert.deepEqual((await send(cb!, cid, 'still here?')).message.error, FORBIDDEN);
    assert.equal((await ca!.request('conversation_delete', { id: cid })).success, true);
    assert.deepEqual((await send(ca!, cid, 'anyone?')).message.error, { status: 404, message: 'Conversation not found.' });
    await Promise.all([ca!.close(), cb!.close()]);
  });

  it('a block refuses the very next private message; unblocking and disabling let it through', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([0, 1].map(() => server.createUser(org)));
    const [ca, cb] = await Promise.all([a!, b!].map((u) => server.loggedIn(u)));
    const cid = (await ca!.request('conversation_create', { type: 'u', participants: [b!._id] })).conversation._id as string;
    assert.ok((await send(ca!, cid, 'before')).ask);
    await cb!.request('block_user', { ids: [a!._id] });
    assert.deepEqual((await send(ca!, cid, 'blocked')).message.error, BLOCKED);
    assert.deepEqual((await send(cb!, cid, 'blocked too')).message.error, BLOCKED);
    await cb!.request('block_list_enable', { enable: false });
    assert.ok((await send(ca!, cid, 'disabled')).ask);
    await cb!.request('block_list_enable', { enable: true });
    assert.deepEqual((await send(ca!, cid, 'enabled again')).message.error, BLOCKED);
    await cb!.request('unblock_user', { ids: [a!._id] });
    assert.ok((await send(ca!, cid, 'unblocked')).ask);
    await cb!.next(bodyIs('unblocked'));
    await Promise.all([ca!.close(), cb!.close()]);
  });

  it('a channel admin may post at once, and may not once demoted', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([0, 1].map(() => server.createUser(org)));
    const [ca, cb] = await Promise.all([a!, b!].map((u) => server.loggedIn(u)));
    const cid = (await ca!.request('conversation_create', { type: 'c', name: 'news', participants: [b!._id] })).conversation._id as string;
    assert.ok((await send(ca!, cid, 'owner posts')).ask);
    assert.deepEqual((await send(cb!, cid, 'subscriber posts')).message.error, FORBIDDEN);
    await ca!.request('conversation_update', { id: cid, admins: { add: [b!._id] } });
    assert.ok((await send(cb!, cid, 'admin posts')).ask);
    await ca!.request('conversation_update', { id: cid, admins: { remove: [b!._id] } });
    assert.deepEqual((await send(cb!, cid, 'demoted posts')).message.error, FORBIDDEN);
    await Promise.all([ca!.close(), cb!.close()]);
  });
});
