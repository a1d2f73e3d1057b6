import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame, TestClient } from '../helpers/client.js';
import { ADMIN_KEY, TestServer } from '../helpers/server.js';

let seq = 0;
async function send(c: TestClient, cid: string, extra: Record<string, unknown> = {}): Promise<string> {
  seq += 1;
  const r = await c.request('message', { id: `ret${String(seq)}`, cid, body: `message ${String(seq)}`, ...extra });
  assert.ok(r.ask?.server_mid, JSON.stringify(r));
  return r.ask.server_mid as string;
}

async function listIds(c: TestClient, cid: string): Promise<string[]> {
  const r = await c.request('message_list', { cid });
  assert.ok(Array.isArray(r.messages), JSON.stringify(r));
  return (r.messages as Frame[]).map((m) => m._id as string).sort();
}

/** A group of an owner, an admin and a plain member; a user of the same organization outside it; one of another organization. */
async function cast(server: TestServer) {
  const org = await server.createOrg();
  const [uo, ua, um, ux] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org), server.createUser(org)]);
  const uf = await server.createUser(await server.createOrg());
  const [owner, admin, member, outsider, foreigner] = await Promise.all([server.loggedIn(uo), server.loggedIn(ua), server.loggedIn(um), server.loggedIn(ux), server.loggedIn(uf)]);
  const cid = (await owner.request('conversation_create', { type: 'g', name: 'kept', participants: [ua._id, um._id] })).conversation._id as string;
  await owner.request('conversation_update', { id: cid, admins: { add: [ua._id] } });
  const close = async (): Promise<void> => void (await Promise.all([owner, admin, member, outsider, foreigner].map((c) => c.close())));
  return { org, ids: { owner: uo._id, admin: ua._id, member: um._id, outsider: ux._id }, owner, admin, member, outsider, foreigner, cid, close };
}

describe('parley_conversation_retention and message_list (no sweep yet)', () => {
  let server: TestServer;
  before(async () => {
    // The sweeper never runs during these tests: what they see is message_list's own filter.
    server = await TestServer.start({ RETENTION_SWEEP_INTERVAL_MS: '3600000' });
  });
  after(() => server.stop());

  it('lets the owner and admins set and clear the period, and any participant read it', async () => {
    const { owner, admin, member, cid, close } = await cast(server);
    assert.deepEqual((await member.request('parley_conversation_retention', { cid })).retention, { cid, seconds: null, organization_seconds: null, effective_seconds: null });
    assert.deepEqual((await owner.request('parley_conversation_retention', { cid, seconds: 86_400 })).retention, { cid, seconds: 86_400, organization_seconds: null, effective_seconds: 86_400 });
    assert.equal((await admin.request('parley_conversation_retention', { cid, seconds: 3600 })).retention.seconds, 3600);
    assert.equal((await member.request('parley_conversation_retention', { cid })).retention.effective_seconds, 3600);
    assert.equal((await admin.request('parley_conversation_retention', { cid, seconds: null })).retention.seconds, null);
    await close();
  });

  it('refuses a plain participant (403), a non-participant (403), another organization (404) and bad input (422)', async () => {
    const { owner, member, outsider, foreigner, cid, close } = await cast(server);
    assert.deepEqual((await member.request('parley_conversation_retention', { cid, seconds: 60 })).error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual((await member.request('parley_conversation_retention', { cid, seconds: null })).error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual((await outsider.request('parley_conversation_retention', { cid })).error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual((await foreigner.request('parley_conversation_retention', { cid, seconds: 60 })).error, { status: 404, message: 'Conversation not found.' });
    assert.deepEqual((await owner.request('parley_conversation_retention', { cid: '0123456789abcdef01234567' })).error, { status: 404, message: 'Conversation not found.' });
    assert.deepEqual((await owner.request('parley_conversation_retention', { seconds: 60 })).error, { status: 422, message: "'cid' field is required." });
    for (const seconds of [0, -5, 1.5, '60', true, {}, 3_153_600_001]) {
      const r = await owner.request('parley_conversation_retention', { cid, seconds });
      assert.deepEqual(r.error, { status: 422, message: "'seconds' must be an integer from 1 to 3153600000, or null." }, `seconds ${JSON.stringify(seconds)}`);
    }
    assert.equal((await owner.request('parley_conversation_retention', { cid, seconds: 60, extra: 1 })).error, '"extra" is not allowed');
    assert.equal((await owner.request('parley_conversation_retention', 'not an object')).error, '"value" must be of type object');
    // Nothing above changed the period, and the connection still works.
    assert.equal((await owner.request('parley_conversation_retention', { cid })).retention.seconds, null);
    await close();
  });

  it('lets either side of a private chat set its period', async () => {
    const org = await server.createOrg();
    const [ua, ub] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [a, b] = await Promise.all([server.loggedIn(ua), server.loggedIn(ub)]);
    const cid = (await a.request('conversation_create', { type: 'u', participants: [ub._id] })).conversation._id as string;
    assert.equal((await b.request('parley_conversation_retention', { cid, seconds: 120 })).retention.seconds, 120);
    await Promise.all([a.close(), b.close()]);
  });

  it('never lists a message older than the period, before the sweeper has deleted it', async () => {
    const { org, owner, member, cid, close } = await cast(server);
    const old = await send(owner, cid);
    await owner.request('parley_conversation_retention', { cid, seconds: 1 });
    await sleep(1200);
    const fresh = await send(owner, cid);
    assert.deepEqual(await listIds(member, cid), [fresh]);
    assert.deepEqual(((await member.request('message_list', { cid, ids: [old, fresh] })).messages as Frame[]).map((m) => m._id), [fresh]);
    assert.ok(await server.node.store.messages.byId(org, old), 'still stored');
    // The organization default applies when the conversation has no period of its own; a longer
    // period of the conversation's own overrides a shorter default.
    await owner.request('parley_conversation_retention', { cid, seconds: null });
    assert.deepEqual(await listIds(member, cid), [old, fresh].sort());
    await close();
  });

  it('applies the organization default from the admin API, and a conversation period overrides it', async () => {
    const { org, owner, member, cid, close } = await cast(server);
    const old = await send(owner, cid);
    const put = (path: string, body: unknown, key = ADMIN_KEY) => fetch(`${server.httpUrl}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', 'admin-api-key': key }, body: JSON.stringify(body) });
    const res = await put('/admin/organization/retention', { organizationId: org, seconds: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { retention: { organizationId: org, seconds: 1 } });
    await sleep(1200);
    assert.deepEqual(await listIds(member, cid), []);
    const last = (await member.request('conversation_list', {})).conversations.find((c: Frame) => c._id === cid);
    assert.equal(last?.last_message, undefined);
    assert.deepEqual((await member.request('parley_conversation_retention', { cid })).retention, { cid, seconds: null, organization_seconds: 1, effective_seconds: 1 });
    await owner.request('parley_conversation_retention', { cid, seconds: 86_400 });
    assert.deepEqual(await listIds(member, cid), [old]);
    await close();
  });

  it('answers the admin retention routes with their errors as text/plain', async () => {
    const { org, cid, close } = await cast(server);
    const call = (method: string, path: string, body?: unknown, key = ADMIN_KEY) =>
      fetch(`${server.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', 'admin-api-key': key }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const expect = async (res: Response, status: number, text?: string) => {
      assert.equal(res.status, status);
      if (text !== undefined) {
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.equal(await res.text(), text);
      }
    };
    await expect(await call('PUT', '/admin/organization/retention', { organizationId: org, seconds: 60 }, 'wrong'), 401, 'Unauthorized.');
    await expect(await call('GET', `/admin/organization/retention?organizationId=${org}`, undefined, 'wrong'), 401, 'Unauthorized.');
    await expect(await call('PUT', '/admin/organization/retention', { organizationId: '0123456789abcdef01234567', seconds: 60 }), 404, 'Organization not found');
    await expect(await call('PUT', '/admin/organization/retention', { organizationId: org, seconds: 0 }), 422, "'seconds' must be an integer from 1 to 3153600000, or null.");
    await expect(await call('PUT', '/admin/organization/retention', { organizationId: org }), 422, "'seconds' must be an integer from 1 to 3153600000, or null.");
    await expect(await call('PUT', '/admin/conversation/retention', { organizationId: org, cid: '0123456789abcdef01234567', seconds: 5 }), 404, 'Conversation not found.');
    await expect(await call('PUT', '/admin/conversation/retention', { organizationId: await server.createOrg(), cid, seconds: 5 }), 404, 'Conversation not found.');
    await expect(await call('PUT', '/admin/organization/retention', { organizationId: org, seconds: 7200 }), 200);
    assert.deepEqual(await (await call('GET', `/admin/organization/retention?organizationId=${org}`)).json(), { retention: { organizationId: org, seconds: 7200 } });
    const conv = await call('PUT', '/admin/conversation/retention', { organizationId: org, cid, seconds: 60 });
    assert.equal(conv.status, 200);
    assert.deepEqual(await conv.json(), { retention: { cid, seconds: 60, organization_seconds: 7200, effective_seconds: 60 } });
    await close();
  });
});

describe('the retention sweeper', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ RETENTION_SWEEP_INTERVAL_MS: '150', RETENTION_SWEEP_BATCH: '3' });
  });
  after(() => server.stop());

  it('deletes expired messages with their statuses, reactions and unreferenced files, telling every participant once', async () => {
    const { org, owner, admin, member, outsider, cid, close } = await cast(server);
    const store = server.node.store;
    const bytes = randomBytes(1000);
    const [announced] = (await owner.request('create_files', [{ name: 'old.bin', size: bytes.length, content_type: 'application/octet-stream' }])).files as Frame[];
    assert.equal((await fetch(announced?.upload_url as string, { method: 'PUT', body: bytes })).status, 200);
    const fileId = announced?.object_id as string;
    const withFile = await send(owner, cid, { attachments: [{ file_id: fileId, file_name: 'old.bin' }] });
    const plain = [await send(admin, cid), await send(owner, cid), await send(member, cid), await send(owner, cid)];
    const expired = [withFile, ...plain];
    await member.request('message_read', { cid, ids: [withFile] });
    await member.request('message_reactions_update', { mid: withFile, add: 'ok' });
    const url = (await member.request('get_file_urls', { file_ids: [fileId] })).file_urls[fileId] as string;
    assert.equal((await fetch(url)).status, 200);
    await owner.request('parley_conversation_retention', { cid, seconds: 1 });

    // Every expired id reaches each participant in exactly one message_delete event (the batch
    // of 3 makes several runs and several events).
    const collect = async (c: TestClient): Promise<string[]> => {
      const seen: string[] = [];
      while (seen.length < expired.length) {
        const ev = (await c.next((f) => f.message_delete !== undefined, 5000)).message_delete as Frame;
        assert.equal(ev.cid, cid);
        assert.equal(ev.type, 'all');
        assert.equal(ev.c_type, 'g');
        seen.push(...(ev.ids as string[]));
      }
      return seen.sort();
    };
    for (const c of [owner, admin, member]) assert.deepEqual(await collect(c), [...expired].sort());
    await sleep(600);
    for (const c of [owner, admin, member]) await assert.rejects(c.next((f) => f.message_delete !== undefined, 50), /no matching frame/);
    await assert.rejects(outsider.next((f) => f.message_delete !== undefined, 50), /no matching frame/);

    for (const id of expired) assert.equal(await store.messages.byId(org, id), undefined);
    assert.equal((await store.statuses.withAnyStatus([withFile])).size, 0);
    assert.equal((await store.reactions.list(withFile)).ok, undefined);
    assert.equal(await store.files.byObjectId(fileId), undefined);
    assert.equal((await fetch(url)).status, 404);
    assert.equal((await member.request('get_file_urls', { file_ids: [fileId] })).error, "Can't find file");
    // A new message is not touched until it is a second old, and the conversation still works.
    const fresh = await send(owner, cid);
    assert.deepEqual(await listIds(member, cid), [fresh]);
    await close();
  });

  it('keeps a file another remaining message still names, and messages of conversations without a period', async () => {
    const { ids, owner, member, cid, close } = await cast(server);
    const other = (await owner.request('conversation_create', { type: 'g', name: 'forever', participants: [ids.member] })).conversation._id as string;
    const [announced] = (await owner.request('create_files', [{ name: 'kept.txt', size: 2, content_type: 'text/plain' }])).files as Frame[];
    const fileId = announced?.object_id as string;
    assert.equal((await fetch(announced?.upload_url as string, { method: 'PUT', body: 'hi' })).status, 200);
    const first = await send(owner, cid, { attachments: [{ file_id: fileId, file_name: 'kept.txt' }] });
    const elsewhere = await send(owner, other);
    await owner.request('parley_conversation_retention', { cid, seconds: 2 });
    await sleep(1100);
    const second = await send(owner, cid, { attachments: [{ file_id: fileId, file_name: 'kept.txt' }] });
    const ev = (await member.next((f) => f.message_delete !== undefined, 5000)).message_delete as Frame;
    assert.deepEqual(ev.ids, [first]);
    assert.deepEqual(await listIds(member, cid), [second]);
    assert.equal((await member.request('get_file_urls', { file_ids: [fileId] })).file_urls?.[fileId] !== undefined, true);
    assert.deepEqual(await listIds(owner, other), [elsewhere]);
    await close();
  });
});
