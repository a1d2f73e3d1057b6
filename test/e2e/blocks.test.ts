import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

const BLOCKED = { status: 422, message: 'Communication is not possible - you are in a block list of the recipient.' };

describe('block lists', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('stops private messages and typing in both directions while enabled, not in groups', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const u = (await ca.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id as string;
    const g = (await ca.request('conversation_create', { type: 'g', name: 'both', participants: [b._id] })).conversation._id as string;
    assert.equal((await cb.request('block_user', { ids: [a._id] })).success, true);
    assert.equal((await cb.request('block_user', { ids: [a._id] })).success, true);
    assert.deepEqual((await cb.request('list_blocked_users', {})).users, [a._id]);
    ca.send({ message: { id: 'x', cid: u, body: 'hi' } });
    assert.deepEqual(await ca.next((f) => f.message?.id === 'x'), { message: { id: 'x', error: BLOCKED } });
    cb.send({ message: { id: 'y', cid: u, body: 'hi' } });
    assert.deepEqual(await cb.next((f) => f.message?.id === 'y'), { message: { id: 'y', error: BLOCKED } });
    ca.send({ typing: { cid: u } });
    assert.deepEqual(await ca.next((f) => f.typing !== undefined), { typing: { error: BLOCKED } });
    assert.deepEqual((await ca.request('conversation_create', { type: 'u', participants: [b._id] })).error, BLOCKED);
    // groups are not affected
    ca.send({ message: { id: 'z', cid: g, body: 'group hi' } });
    assert.equal((await cb.next((f) => f.message?.body === 'group hi')).message.cid, g);
    // disabled blocks are kept but not enforced
    assert.equal((await cb.request('block_list_enable', { enable: false })).success, true);
    ca.send({ message: { id: 'w', cid: u, body: 'again' } });
    assert.equal((await ca.next((f) => f.ask?.mid === 'w')).ask.mid, 'w');
    assert.deepEqual((await cb.request('list_blocked_users', {})).users, [a._id]);
    await cb.request('block_list_enable', { enable: true });
    assert.equal((await cb.request('unblock_user', { ids: [a._id] })).success, true);
    ca.send({ message: { id: 'v', cid: u, body: 'free' } });
    assert.equal((await ca.next((f) => f.ask?.mid === 'v')).ask.mid, 'v');
    await Promise.all([ca.close(), cb.close()]);
  });

  it('answers bad input with 400, refuses blocking oneself, and ignores other organizations', async () => {
    const org = await server.createOrg();
    const a = await server.createUser(org);
    const stranger = await server.createUser(await server.createOrg());
    const ca = await server.loggedIn(a);
    assert.deepEqual((await ca.request('block_user', { ids: 'nope' })).error, { status: 400, message: 'Bad request - invalid data format' });
    assert.deepEqual((await ca.request('block_user', { ids: ['short'] })).error, { status: 400, message: 'Bad request - invalid data format' });
    assert.deepEqual((await ca.request('unblock_user', {})).error, { status: 400, message: 'Bad request - invalid data format' });
    assert.equal((await ca.request('block_user', { ids: [a._id] })).error, "Can't block self user");
    assert.equal((await ca.request('block_user', { ids: [stranger._id] })).success, true);
    assert.deepEqual((await ca.request('list_blocked_users', {})).users, []);
    assert.equal((await ca.request('block_list_enable', { enable: 'yes' })).error, '"enable" must be a boolean');
    await ca.close();
  });

  it('forgets a deleted user\'s blocks on both sides', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    await ca.request('block_user', { ids: [b._id] });
    await cb.request('block_user', { ids: [a._id] });
    await ca.request('user_delete');
    assert.deepEqual((await cb.request('list_blocked_users', {})).users, []);
    await Promise.all([ca.close(), cb.close()]);
  });
});
