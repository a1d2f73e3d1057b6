import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../helpers/server.js';

describe('conversation_create', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('creates a group, notifies participants with conversation_created, and stores it for offline ones', async () => {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a, 'a1');
    const ca2 = await server.loggedIn(a, 'a2');
    const cb = await server.loggedIn(b, 'b1');
    const r = await ca.request('conversation_create', { type: 'g', name: 'Team', participants: [b._id, c._id] });
    assert.equal(r.conversation.type, 'g');
    assert.equal(r.conversation.name, 'Team');
    assert.equal(r.conversation.owner_id, a._id);
    assert.equal(r.conversation.organization_id, org);
    const cid = r.conversation._id as string;
    const ev = await cb.next((f) => f.system_message !== undefined);
    assert.equal(ev.system_message._id, cid);
    assert.equal(ev.system_message.from, a._id);
    assert.deepEqual(ev.system_message.x.conversation_created, r.conversation);
    // carbon to the owner's other device, not to the creating one
    await ca2.next((f) => f.system_message?._id === cid);
    assert.deepEqual(await ca.collect((f) => f.system_message !== undefined), []);
    // c was offline: an operations-log row holds the event
    const rows = await server.node.store.opLog.list(org, c._id, { gt: 0, limit: 10 }, Date.now());
    assert.equal(rows.length, 1);
    assert.equal(JSON.parse(rows[0]!.packet).system_message._id, cid);
    await Promise.all([ca.close(), ca2.close(), cb.close()]);
  });

  it('returns the existing private conversation on a second create from either side', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const first = await ca.request('conversation_create', { type: 'u', participants: [b._id] });
    assert.equal(first.conversation.opponent_id, b._id);
    const second = await cb.request('conversation_create', { type: 'u', participants: [a._id] });
    assert.equal(second.conversation._id, first.conversation._id);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('answers the catalogued errors', async () => {
    const org = await server.createOrg();
    const other = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const stranger = await server.createUser(other);
    const ca = await server.loggedIn(a);
    const err = async (body: unknown) => (await ca.request('conversation_create', body)).error;
    assert.deepEqual(await err({ name: 'x' }), { status: 422, message: 'Conversation type missed.' });
    assert.deepEqual(await err({ type: 'z' }), { status: 422, message: 'The type you entered is incorrect.' });
    assert.deepEqual(await err({ type: 'g', participants: [b._id] }), { status: 422, message: "You haven't specified a conversation name." });
    assert.deepEqual(await err({ type: 'g', name: 'n' }), { status: 422, message: 'Please select at least one user.' });
    assert.deepEqual(await err({ type: 'g', name: 'n', participants: [a._id] }), { status: 422, message: 'Participants not provided.' });
    assert.deepEqual(await err({ type: 'u', participants: [a._id] }), { status: 422, message: 'The specified user is incorrect.' });
    assert.deepEqual(await err({ type: 'u', participants: [b._id, c._id] }), { status: 422, message: 'There are too many users in the private conversation.' });
    // another organization's user is dropped: nobody left
    assert.deepEqual(await err({ type: 'u', participants: [stranger._id] }), { status: 422, message: 'Please select at least one user.' });
    assert.equal(await err({ type: 'g', name: 'n', participants: [b._id], bogus: 1 }), '"bogus" is not allowed');
    assert.deepEqual(await err({ type: 'g', name: 5, participants: [b._id] }), { status: 422, message: "You haven't specified a conversation name." });
    await ca.close();
  });
});
