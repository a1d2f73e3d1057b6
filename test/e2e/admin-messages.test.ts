import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from '../helpers/client.js';
import { ADMIN_KEY, TestServer } from '../helpers/server.js';

describe('HTTP admin API for messages', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  const call = (method: string, path: string, body: unknown, key = ADMIN_KEY) =>
    fetch(`${server.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', 'admin-api-key': key }, body: JSON.stringify(body) });

  it('sends, edits, reacts, reads, deletes and posts system messages as the sender, reaching all of its devices', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a, 'a1');
    const cb = await server.loggedIn(b, 'b1');
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'ops', participants: [b._id] })).conversation._id as string;
    const sent = await call('POST', '/admin/message', { organizationId: org, senderId: a._id, message: { id: 'adm1', cid, body: 'from the back office' } });
    assert.equal(sent.status, 201);
    const ask = ((await sent.json()) as Frame).ask;
    assert.equal(ask.mid, 'adm1');
    assert.equal((await cb.next((f) => f.message?.body === 'from the back office')).message._id, ask.server_mid);
    // the sender's own device gets a copy too (the admin API is not one of its devices)
    assert.equal((await ca.next((f) => f.message?._id === ask.server_mid)).message.from, a._id);
    const mid = ask.server_mid as string;
    assert.equal((await call('PUT', '/admin/message', { organizationId: org, senderId: a._id, messageEdit: { id: mid, body: 'edited' } })).status, 200);
    assert.equal((await cb.next((f) => f.message_edit !== undefined)).message_edit.body, 'edited');
    assert.equal((await call('PUT', '/admin/message/reaction', { organizationId: org, senderId: b._id, messageReaction: { mid, add: 'ok' } })).status, 200);
    await ca.next((f) => f.message_reactions_update !== undefined);
    const read = await call('PUT', '/admin/message/read', { organizationId: org, senderId: b._id, messageRead: { cid } });
    assert.deepEqual(await read.json(), { success: true });
    assert.deepEqual((await ca.next((f) => f.message_read !== undefined)).message_read, { ids: [mid], cid, from: b._id });
    const sys = await call('POST', '/admin/message/system', { organizationId: org, senderId: a._id, messageSystem: { id: 'sys1', uids: [b._id], x: { note: 1 } } });
    assert.equal(sys.status, 201);
    assert.equal(((await sys.json()) as Frame).ask.mid, 'sys1');
    assert.deepEqual((await cb.next((f) => f.system_message?._id === 'sys1')).system_message.x, { note: 1 });
    assert.equal((await call('DELETE', '/admin/message', { organizationId: org, senderId: a._id, messageDelete: { cid, ids: [mid], type: 'all' } })).status, 200);
    assert.deepEqual((await cb.next((f) => f.message_delete !== undefined)).message_delete.ids, [mid]);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('refuses wrong keys, unknown organizations, foreign senders, non-members and bad bodies as text/plain', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const stranger = await server.createUser(await server.createOrg());
    const ca = await server.loggedIn(a);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'closed', participants: [a._id, (await server.createUser(org))._id] })).conversation._id as string;
    const expect = async (res: Response, status: number, text: string | RegExp) => {
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const body = await res.text();
      if (typeof text === 'string') assert.equal(body, text);
      else assert.match(body, text);
    };
    await expect(await call('POST', '/admin/message', { organizationId: org, senderId: a._id, message: { cid, body: 'x' } }, 'wrong'), 401, 'Unauthorized.');
    await expect(await call('POST', '/admin/message', { organizationId: '0123456789abcdef01234567', senderId: a._id, message: { cid, body: 'x' } }), 404, 'Organization not found');
    await expect(await call('POST', '/admin/message', { organizationId: org, senderId: stranger._id, message: { cid, body: 'x' } }), 422, 'The specified user is incorrect.');
    await expect(await call('POST', '/admin/message', { organizationId: org, senderId: b._id, message: { cid, body: 'x' } }), 403, 'Forbidden.');
    await expect(await call('POST', '/admin/message', { organizationId: org, senderId: a._id, message: { cid } }), 422, '"value" must contain at least one of [body, attachments]');
    await expect(await call('POST', '/admin/message', { organizationId: org, senderId: a._id }), 422, /must be of type object/);
    await ca.close();
  });
});
