import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient, type Frame } from '../helpers/client.js';
import { TestServer, uniqueName } from '../helpers/server.js';

/**
 * SAMA's web client (1.11) and JS SDK (0.16), replayed packet for packet: the same request
 * shapes (fields the SDK leaves undefined are simply absent, as JSON.stringify drops them), the
 * same order, the same HTTP calls with the refresh cookie. Each step checks the reply the client
 * reads and what the other users receive.
 */
class SamaWebClient {
  private seq = 0;
  cookie = '';
  accessToken = '';
  userId = '';
  socket!: TestClient;

  constructor(
    private readonly server: TestServer,
    readonly orgId: string,
    readonly deviceId: string,
  ) {}

  /** The SDK's `sendRequest`: `{"request":{<action>: data, "id": <unique>}}`, reply matched by id. */
  async request(action: string, data: unknown = {}): Promise<Frame> {
    const id = `${action}_${String(++this.seq)}_${uniqueName('r')}`;
    this.socket.send({ request: { [action]: data, id } });
    const frame = await this.socket.next((f) => f.response?.id === id);
    return frame.response as Frame;
  }

  /** The SDK's `sendHttpPromise`: JSON content type always, Bearer when it has a token, cookies included. */
  async http(path: string, data: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.server.httpUrl}/${path}`, { method: 'POST', headers, ...(data ? { body: JSON.stringify(data) } : {}) });
    const set = res.headers.get('set-cookie');
    if (set) {
      const first = set.split(';')[0] ?? '';
      this.cookie = first.endsWith('=') ? '' : first;
    }
    return res;
  }

  async open(): Promise<void> {
    this.socket = await this.server.client();
  }

  /** `userLogin` then `connectSocket`, as the login form and the auto-login do. */
  async login(credentials?: { login: string; password: string }): Promise<void> {
    const res = await this.http('login', { organization_id: this.orgId, device_id: this.deviceId, ...credentials });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { access_token: string; expired_at: number; user: { _id: string } };
    assert.ok(body.expired_at > Date.now());
    this.accessToken = body.access_token;
    this.userId = body.user._id;
    assert.equal((await this.request('connect', { token: this.accessToken, device_id: this.deviceId })).success, true);
  }

  /** The SDK's `messageCreate`: a bare `message` answered by `ask` (or an error under `message`). */
  async send(cid: string, body: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    const mid = uniqueName('m');
    this.socket.send({ message: { id: mid, body, cid, ...extra } });
    const frame = await this.socket.next((f) => f.ask?.mid === mid || (f.message?.error !== undefined && f.message.id === mid));
    assert.equal(frame.message?.error, undefined, JSON.stringify(frame));
    return { mid, ...(frame.ask as Frame) };
  }
}

describe("SAMA's web client flows", () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ COOKIE_SECRET: 'flows-cookie-secret', CORS_ORIGIN: 'http://localhost:3000', COOKIE_SECURE: 'false' });
  });
  after(() => server.stop());

  it('sign-up, login, chats, messages, receipts, typing, edit, delete, rename, image, re-login, history and logout', async () => {
    const org = await server.createOrg();
    const alice = new SamaWebClient(server, org, 'fp-alice');
    const bob = new SamaWebClient(server, org, 'fp-bob');
    const carol = new SamaWebClient(server, org, 'fp-carol');
    const names = { alice: uniqueName('alice'), bob: uniqueName('bob'), carol: uniqueName('carol') };
    for (const [c, login] of [[alice, names.alice], [bob, names.bob], [carol, names.carol]] as const) {
      await c.open();
      // Sign-up: user_create on the fresh socket, then the HTTP login and connect.
      const created = await c.request('user_create', { organization_id: org, login, email: `${login}@example.com`, password: 'pass-word' });
      assert.equal(created.user.login, login);
      await c.login({ login, password: 'pass-word' });
      // Start-up sync: the conversation list (participants are asked for only when it has chats).
      assert.deepEqual((await c.request('conversation_list', {})).conversations, []);
    }

    // Search, then a private chat with the found user.
    const found = await alice.request('user_search', { keyword: names.bob.slice(0, 6), ignore_ids: [] });
    assert.deepEqual(found.users.map((u: Frame) => u._id), [bob.userId]);
    const priv = (await alice.request('conversation_create', { type: 'u', participants: [bob.userId] })).conversation;
    assert.equal(priv.type, 'u');
    assert.equal((await bob.socket.next((f) => f.system_message?.x?.conversation_created !== undefined)).system_message.x.conversation_created._id, priv._id);
    // Watching the opponent's activity, as the chat header does.
    assert.equal((await alice.request('user_last_activity_subscribe', { id: bob.userId })).last_activity[bob.userId], 0);

    // Real-time message, read receipt, typing.
    const sent = await alice.send(priv._id, 'hello bob');
    assert.equal(typeof sent.server_mid, 'string');
    const got = await bob.socket.next((f) => f.message?._id === sent.server_mid);
    assert.equal(got.message.body, 'hello bob');
    assert.equal(got.message.from, alice.userId);
    assert.equal((await bob.request('message_read', { cid: priv._id })).success, true);
    assert.deepEqual((await alice.socket.next((f) => f.message_read !== undefined)).message_read, { cid: priv._id, ids: [sent.server_mid], from: bob.userId });
    bob.socket.send({ typing: { cid: priv._id } });
    const typing = await alice.socket.next((f) => f.typing !== undefined);
    assert.equal(typing.typing.from, bob.userId);
    assert.equal(typing.typing.cid, priv._id);

    // Edit and delete for everyone.
    assert.equal((await alice.request('message_edit', { id: sent.server_mid, body: 'hello, bob' })).success, true);
    assert.equal((await bob.socket.next((f) => f.message_edit !== undefined)).message_edit.body, 'hello, bob');
    const second = await alice.send(priv._id, 'to be deleted');
    await bob.socket.next((f) => f.message?._id === second.server_mid);
    assert.equal((await alice.request('message_delete', { cid: priv._id, ids: [second.server_mid], type: 'all' })).success, true);
    assert.deepEqual((await bob.socket.next((f) => f.message_delete !== undefined)).message_delete.ids, [second.server_mid]);

    // A group, renamed the way the client's edit form does it: participants is an empty object.
    const group = (await alice.request('conversation_create', { type: 'g', name: 'Plans', participants: [bob.userId, carol.userId] })).conversation;
    await bob.socket.next((f) => f.system_message?.x?.conversation_created?._id === group._id);
    await carol.socket.next((f) => f.system_message?.x?.conversation_created?._id === group._id);
    const renamed = await alice.request('conversation_update', { id: group._id, name: 'Weekend plans', participants: {} });
    assert.equal(renamed.error, undefined, JSON.stringify(renamed));
    assert.equal(renamed.conversation.name, 'Weekend plans');
    for (const c of [bob, carol]) {
      const ev = await c.socket.next((f) => f.system_message?.x?.conversation_updated !== undefined);
      assert.equal(ev.system_message.x.conversation_updated.name, 'Weekend plans');
    }
    const described = await alice.request('conversation_update', { id: group._id, description: 'Saturday', participants: {} });
    assert.equal(described.conversation.description, 'Saturday');
    assert.deepEqual((await bob.request('get_participants_by_cids', { cids: [group._id] })).conversations[group._id].sort(), [alice.userId, bob.userId, carol.userId].sort());

    // An image: create_files, PUT to the upload URL, get_file_urls, set as the group image and send.
    const bytes = Buffer.from('\x89PNG\r\n\x1a\nflows-test-image-bytes');
    const [file] = (await alice.request('create_files', [{ name: 'photo.png', size: bytes.length, content_type: 'image/png' }])).files as Frame[];
    assert.ok(file);
    assert.equal((await fetch(file.upload_url as string, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes })).status, 200);
    const urls = (await alice.request('get_file_urls', { file_ids: [file.object_id] })).file_urls;
    assert.equal(typeof urls[file.object_id], 'string');
    const withImage = await alice.request('conversation_update', { id: group._id, participants: {}, image_object: { file_id: file.object_id, file_name: 'photo.png', file_blur_hash: 'LEHV6nWB2yk8' } });
    assert.equal(withImage.conversation.image_object.file_id, file.object_id);
    const pic = await alice.send(group._id, '', { attachments: [{ file_id: file.object_id, file_name: 'photo.png' }] });
    const picMsg = await carol.socket.next((f) => f.message?._id === pic.server_mid);
    const carolUrls = (await carol.request('get_file_urls', { file_ids: [picMsg.message.attachments[0].file_id] })).file_urls;
    const downloaded = await fetch(carolUrls[file.object_id]);
    assert.equal(downloaded.status, 200);
    assert.deepEqual(Buffer.from(await downloaded.arrayBuffer()), bytes);

    // Bob logs in again on the same socket (auto-login: HTTP login by token, then connect).
    // Alice watches him: she must not hear "offline" while he stays online.
    await bob.login();
    assert.deepEqual(await alice.socket.collect((f) => f.last_activity !== undefined && f.last_activity[bob.userId] !== 0, 300), []);
    assert.equal((await alice.request('user_last_activity', { ids: [bob.userId] })).last_activity[bob.userId], 0);

    // History after a reload: a new socket, connect with the stored token, message_list.
    const reloaded = new SamaWebClient(server, org, 'fp-alice');
    reloaded.accessToken = alice.accessToken;
    await reloaded.open();
    assert.equal((await reloaded.request('connect', { token: alice.accessToken, device_id: 'fp-alice' })).success, true);
    const history = (await reloaded.request('message_list', { cid: priv._id, limit: 30 })).messages as Frame[];
    assert.deepEqual(history.map((m) => m.body), ['hello, bob']);
    assert.equal(history[0]?.status, 'read');
    alice.socket = reloaded.socket;

    // Logout: POST /logout with the JSON content type and no body at all.
    await bob.request('user_last_activity_subscribe', { id: alice.userId });
    const cookieBefore = alice.cookie;
    assert.ok(cookieBefore.startsWith('refresh_token='));
    const out = await alice.http('logout', null);
    assert.equal(out.status, 200, await out.clone().text());
    assert.deepEqual(await out.json(), { success: true });
    const off = await bob.socket.next((f) => f.last_activity?.[alice.userId] !== undefined);
    assert.ok(off.last_activity[alice.userId] > 0, 'watchers hear offline');
    assert.deepEqual((await alice.request('conversation_list', {})).error, { status: 401, message: 'Unauthorized.' });
    // The refresh token is revoked: logging in with the cookie no longer works.
    alice.accessToken = '';
    const again = await fetch(`${server.httpUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookieBefore }, body: JSON.stringify({ device_id: 'fp-alice' }) });
    assert.equal(again.status, 422);
    assert.equal(await again.text(), 'The token has expired.');
    for (const c of [alice, bob, carol]) await c.socket.close();
  });
});
