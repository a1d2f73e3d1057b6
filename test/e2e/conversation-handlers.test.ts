import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { ADMIN_KEY, TestServer, type TestUser } from '../helpers/server.js';

const BOT = 'parleybot';
/** A handler body wrapped in SAMA's convention (protocol.md §8). */
const script = (body: string): string => `async function handler(message, user, accept, resolve, reject, fetch) {\n${body}\n}\nexport default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH)`;

let seq = 0;
/** Sends a bare `message` and resolves with its `ask`, or its `{message:{id,error}}` reply. */
async function send(c: TestClient, fields: Record<string, unknown>): Promise<Frame> {
  const id = `m${String((seq += 1))}`;
  c.send({ message: { id, ...fields } });
  return c.next((f) => f.ask?.mid === id || (f.message?.id === id && f.message.error !== undefined), 8000);
}

describe('conversation handlers', () => {
  let server: TestServer;
  let api: Server;
  let apiUrl = '';
  before(async () => {
    // The handlers' test API listens on 127.0.0.2, the only address the allow-list opens:
    // 127.0.0.1 and every other loopback or private address stay refused.
    api = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, verdict: req.url?.includes('spam') === true ? 'spam' : 'ham' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.2', resolve));
    apiUrl = `http://127.0.0.2:${String((api.address() as AddressInfo).port)}`;
    server = await TestServer.start({ CHAT_BOT_LOGIN: BOT, CONVERSATION_HANDLER_FETCH_ALLOW: '127.0.0.2' });
  });
  after(async () => {
    await server.stop();
    await new Promise<void>((resolve) => api.close(() => resolve()));
  });

  /** An organization with owner `a`, member `b`, a group of both, and the bot account. */
  async function setup(withBot = true): Promise<{ org: string; a: TestUser; b: TestUser; ca: TestClient; cb: TestClient; cid: string; bot?: TestUser }> {
    const org = await server.createOrg();
    const [a, b, bot] = await Promise.all([server.createUser(org), server.createUser(org), withBot ? server.createUser(org, { login: BOT }) : undefined]);
    const [ca, cb] = await Promise.all([server.loggedIn(a), server.loggedIn(b)]);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'handled', participants: [b._id] })).conversation._id as string;
    return { org, a, b, ca, cb, cid, ...(bot ? { bot } : {}) };
  }
  const install = async (c: TestClient, cid: string, content: string): Promise<void> => {
    assert.equal((await c.request('conversation_handler_create', { cid, content })).success, true);
  };

  it('lets the owner create, read, replace and delete the handler, and nobody else', async () => {
    const { org, ca, cb, cid } = await setup();
    const stranger = await server.loggedIn(await server.createUser(org));
    const other = await server.loggedIn(await server.createUser(await server.createOrg()));
    const req = async (c: TestClient, name: string, body: unknown): Promise<unknown> => {
      const r = await c.request(name, body);
      delete r.id;
      return r;
    };
    assert.deepEqual(await req(ca, 'get_conversation_handler', { cid }), { error: { status: 422, message: 'Handler for this conversation not found.' } });
    assert.deepEqual(await req(ca, 'conversation_handler_delete', { cid }), { error: { status: 422, message: 'Handler for this conversation not found.' } });
    const before = Date.now();
    assert.deepEqual(await req(ca, 'conversation_handler_create', { cid, content: script('return accept()') }), { success: true });
    const got = (await req(ca, 'get_conversation_handler', { cid })) as Frame;
    assert.deepEqual(Object.keys(got.conversation_handler).sort(), ['content', 'updated_at', 'updated_by']);
    assert.equal(got.conversation_handler.content, script('return accept()'));
    assert.ok(Date.parse(got.conversation_handler.updated_at as string) >= before - 1000);
    for (const c of [cb, stranger]) {
      assert.deepEqual(await req(c, 'conversation_handler_create', { cid, content: 'x' }), { error: { status: 403, message: 'Forbidden.' } });
      assert.deepEqual(await req(c, 'get_conversation_handler', { cid }), { error: { status: 403, message: 'Forbidden.' } });
      assert.deepEqual(await req(c, 'conversation_handler_delete', { cid }), { error: { status: 403, message: 'Forbidden.' } });
    }
    for (const [c, id] of [[ca, '0123456789abcdef01234567'], [other, cid]] as const) {
      assert.deepEqual(await req(c, 'conversation_handler_create', { cid: id, content: 'x' }), { error: { status: 400, message: 'Bad Request.' } });
      assert.deepEqual(await req(c, 'get_conversation_handler', { cid: id }), { error: { status: 400, message: 'Bad Request.' } });
      assert.deepEqual(await req(c, 'conversation_handler_delete', { cid: id }), { error: { status: 400, message: 'Bad Request.' } });
    }
    assert.deepEqual(await req(ca, 'conversation_handler_create', { content: 'x' }), { error: '"cid" is required' });
    assert.deepEqual(await req(ca, 'conversation_handler_create', { cid }), { error: '"content" is required' });
    assert.deepEqual(await req(ca, 'conversation_handler_create', { cid, content: 5 }), { error: '"content" must be a string' });
    assert.deepEqual(await req(ca, 'get_conversation_handler', {}), { error: '"cid" is required' });
    const bad = (await req(ca, 'conversation_handler_create', { cid, content: 'export default (' })) as Frame;
    assert.equal(bad.error.status, 422);
    assert.match(bad.error.message as string, /^The handler does not compile: SyntaxError: /);
    assert.deepEqual(await req(ca, 'conversation_handler_create', { cid, content: `// ${'x'.repeat(70_000)}` }), { error: { status: 413, message: 'Payload too large.' } });
    // the failed attempts left the script alone; a replacement takes over
    assert.equal(((await req(ca, 'get_conversation_handler', { cid })) as Frame).conversation_handler.content, script('return accept()'));
    assert.deepEqual(await req(ca, 'conversation_handler_create', { cid, content: script("return reject('closed')") }), { success: true });
    assert.deepEqual((await send(cb, { cid, body: 'hi' })).message.error, { status: 422, message: 'closed' });
    assert.deepEqual(await req(ca, 'conversation_handler_delete', { cid }), { success: true });
    assert.equal((await send(cb, { cid, body: 'hi again' })).ask.modified, null);
    await Promise.all([ca.close(), cb.close(), stranger.close(), other.close()]);
  });

  it('ACCEPT, no decision and an empty RESOLVE let the message through unchanged', async () => {
    const { ca, cb, cid } = await setup();
    for (const body of ['return accept()', '', 'return resolve()', "return resolve({message: {body: ''}})"]) {
      await install(ca, cid, script(body));
      const ask = (await send(ca, { cid, body: `plain ${body}` })).ask;
      assert.equal(ask.modified, null);
      assert.equal(ask.bot_message, null);
      assert.equal((await cb.next((f) => f.message?._id === ask.server_mid)).message.body, `plain ${body}`);
    }
    await Promise.all([ca.close(), cb.close()]);
  });

  it('REJECT refuses with its text (or the default), nothing stored or delivered', async () => {
    const { ca, cb, cid } = await setup();
    await install(ca, cid, script("if (message.body.includes('darn')) return reject('Banned word: darn'); if (message.body === 'quiet') return reject(); return accept()"));
    assert.deepEqual((await send(cb, { cid, body: 'well darn it' })).message.error, { status: 422, message: 'Banned word: darn' });
    assert.deepEqual((await send(cb, { cid, body: 'quiet' })).message.error, { status: 422, message: 'Message blocked by conversation rules.' });
    const ok = (await send(cb, { cid, body: 'fine words' })).ask;
    assert.deepEqual((await ca.next((f) => f.message !== undefined && f.message.error === undefined)).message._id, ok.server_mid);
    const list = (await ca.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual(list.map((m) => m.body), ['fine words']);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('RESOLVE with isReplaceBody stores and delivers the handler\'s content and reports it in ask.modified', async () => {
    const { ca, cb, cid, b } = await setup();
    await install(ca, cid, script("return resolve({message: {body: message.body.replace(/darn/g, '****') + ' (' + user.login + ')', attachments: [{file_url: 'https://cdn.example/a.png', file_content_type: 'image/png', file_width: 10}]}}, {isReplaceBody: true})"));
    const ask = (await send(cb, { cid, body: 'darn darn', x: { keep: true } })).ask;
    const expected = { body: `**** **** (${b.login})`, attachments: [{ file_url: 'https://cdn.example/a.png', file_content_type: 'image/png', file_width: 10 }] };
    assert.deepEqual(ask.modified, expected);
    const seen = (await ca.next((f) => f.message?._id === ask.server_mid)).message;
    assert.deepEqual([seen.body, seen.attachments, seen.x], [expected.body, expected.attachments, { keep: true }]);
    const [stored] = (await ca.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual([stored?.body, stored?.attachments], [expected.body, expected.attachments]);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('RESOLVE without isReplaceBody adds a reply from the bot account after the message', async () => {
    const { ca, cb, cid, bot } = await setup();
    await install(ca, cid, script("if (message.body.startsWith('!echo ')) return resolve({message: {body: 'echo: ' + message.body.slice(6)}}); return accept()"));
    const ask = (await send(cb, { cid, body: '!echo hello' })).ask;
    assert.equal(ask.modified, null);
    assert.equal(ask.bot_message.from, bot?._id);
    assert.equal(ask.bot_message.body, 'echo: hello');
    assert.equal(ask.bot_message.cid, cid);
    const first = (await ca.next((f) => f.message !== undefined)).message;
    const second = (await ca.next((f) => f.message !== undefined)).message;
    assert.deepEqual([first._id, second._id, second.body, second.from], [ask.server_mid, ask.bot_message._id, 'echo: hello', bot?._id]);
    // the sender's device has the reply in its ask, not twice
    assert.deepEqual(await cb.collect((f) => f.message?._id === ask.bot_message._id), []);
    const list = (await ca.request('message_list', { cid })).messages as Frame[];
    assert.deepEqual(list.map((m) => m.body), ['echo: hello', '!echo hello']);
    // a retry of the same client id gets the original ask, and no second bot reply
    cb.send({ message: { id: 'retry-1', cid, body: '!echo once' } });
    await cb.next((f) => f.ask?.mid === 'retry-1');
    cb.send({ message: { id: 'retry-1', cid, body: '!echo once' } });
    await cb.next((f) => f.ask?.mid === 'retry-1');
    assert.equal(((await ca.request('message_list', { cid })).messages as Frame[]).filter((m) => m.body === 'echo: once').length, 1);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('sends no bot reply when the organization has no bot account', async () => {
    const { ca, cb, cid } = await setup(false);
    await install(ca, cid, script("return resolve({message: {body: 'from nobody'}})"));
    const ask = (await send(cb, { cid, body: 'hi' })).ask;
    assert.equal(ask.bot_message, null);
    assert.equal((await ca.next((f) => f.message !== undefined)).message.body, 'hi');
    assert.deepEqual(await ca.collect((f) => f.message?.body === 'from nobody'), []);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('refuses invalid handler output with SAMA\'s errors', async () => {
    const { ca, cb, cid } = await setup();
    const cases: [string, { status: number; message: string }][] = [
      ['return resolve({message: {body: 42}}, {isReplaceBody: true})', { status: 422, message: 'Incorrect type of message body.' }],
      ["return resolve({message: {attachments: [{file_id: 'x'}]}})", { status: 422, message: 'Invalid attachment fields.' }],
      ["return resolve({message: {attachments: [{file_url: 7}]}})", { status: 422, message: 'Invalid attachment fields.' }],
      ['return resolve({message: {attachments: 3}})', { status: 422, message: 'Invalid attachment fields.' }],
      ["return resolve({message: {body: 'y'.repeat(70000)}}, {isReplaceBody: true})", { status: 413, message: 'Payload too large.' }],
    ];
    for (const [body, error] of cases) {
      await install(ca, cid, script(body));
      assert.deepEqual((await send(cb, { cid, body: 'x' })).message.error, error, body);
    }
    await Promise.all([ca.close(), cb.close()]);
  });

  it('refuses the message when the handler fails, and tells the owner why', async () => {
    const { ca, cb, cid } = await setup();
    const failing: [string, string, RegExp][] = [
      ["throw new Error('boom')", 'error', /^error: Error: boom$/],
      ['return process.env.SECRET', 'error', /^error: ReferenceError: 'process' is not defined/],
      ["return require('fs')", 'error', /^error: ReferenceError: 'require' is not defined/],
      ["return reject('x'.repeat(64 * 1024 * 1024))", 'memory', /^memory: /],
      ["return resolve({message: {body: 'z'.repeat(300000)}})", 'output', /^output: /],
    ];
    for (const [body, kind, detail] of failing) {
      await install(ca, cid, script(body));
      assert.deepEqual((await send(cb, { cid, body: 'x' })).message.error, { status: 422, message: `Message refused: the conversation handler failed (${kind}).` }, body);
      const h = (await ca.request('get_conversation_handler', { cid })).conversation_handler as Frame;
      assert.match(h.last_error as string, detail);
      assert.ok(Date.parse(h.last_error_at as string) > 0);
    }
    // imports have no loader: refused when the script is set
    for (const content of ["import fs from 'fs'; export default fs", "import { readFileSync } from 'node:fs'; export default readFileSync('/etc/passwd', 'utf8')"]) {
      const error = (await ca.request('conversation_handler_create', { cid, content })).error as Frame;
      assert.equal(error.status, 422);
      assert.match(error.message as string, /^The handler does not compile: .*could not load module/);
    }
    // a new script starts with a clean record
    await install(ca, cid, script('return accept()'));
    assert.equal(((await ca.request('get_conversation_handler', { cid })).conversation_handler as Frame).last_error, undefined);
    assert.equal((await cb.request('message_list', { cid })).messages.length, 0);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('FETCH reaches an allow-listed local service, and nothing else on this machine or network', async () => {
    const { ca, cb, cid } = await setup();
    // A server on 127.0.0.1 that must never be reached.
    let hits = 0;
    const trap = createServer((_req, res) => {
      hits += 1;
      res.end('{}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const trapPort = (trap.address() as AddressInfo).port;
    await install(ca, cid, script(`const r = await fetch('${apiUrl}/check?text=' + encodeURIComponent(message.body)); const data = await r.json(); if (data.verdict === 'spam') return reject('spam (' + r.status + ')'); return resolve({message: {body: 'checked: ' + data.verdict}})`));
    assert.deepEqual((await send(cb, { cid, body: 'buy spam now' })).message.error, { status: 422, message: 'spam (200)' });
    assert.equal((await send(cb, { cid, body: 'hello' })).ask.bot_message.body, 'checked: ham');
    const targets = [`http://127.0.0.1:${String(trapPort)}/`, `http://localhost:${String(trapPort)}/`, `http://[::1]:${String(trapPort)}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://192.168.0.1/', 'http://0.0.0.0/', `http://2130706433:${String(trapPort)}/`, 'file:///etc/passwd'];
    await install(ca, cid, script(`const out = []; for (const t of ${JSON.stringify(targets)}) { const r = await fetch(t); out.push(r.ok + ' ' + r.status + ' ' + (await r.text()).length); } return reject(out.join('|'))`));
    assert.deepEqual((await send(cb, { cid, body: 'probe' })).message.error, { status: 422, message: targets.map(() => 'false 500 0').join('|') });
    assert.equal(hits, 0);
    await new Promise<void>((resolve) => trap.close(() => resolve()));
    await Promise.all([ca.close(), cb.close()]);
  });

  it('runs for messages sent through the HTTP admin API too', async () => {
    const { org, a, ca, cid } = await setup();
    const call = (body: unknown): Promise<Response> => fetch(`${server.httpUrl}/admin/message`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify(body) });
    await install(ca, cid, script("if (message.body === 'no') return reject('not via admin either'); return resolve({message: {body: message.body + '!'}}, {isReplaceBody: true})"));
    const refused = await call({ organizationId: org, senderId: a._id, message: { cid, body: 'no' } });
    assert.deepEqual([refused.status, await refused.text()], [422, 'not via admin either']);
    const sent = await call({ organizationId: org, senderId: a._id, message: { id: 'adm', cid, body: 'yes' } });
    assert.equal(sent.status, 201);
    assert.deepEqual(((await sent.json()) as Frame).ask.modified, { body: 'yes!' });
    await ca.close();
  });

  it('keeps a conversation\'s order through its handler', async () => {
    const { ca, cb, cid } = await setup();
    await install(ca, cid, script("return resolve({message: {body: '#' + message.body}}, {isReplaceBody: true})"));
    const bodies = Array.from({ length: 12 }, (_, i) => String(i));
    for (const body of bodies) cb.send({ message: { id: `o${body}`, cid, body } });
    const got: string[] = [];
    for (let i = 0; i < bodies.length; i++) got.push((await ca.next((f) => f.message !== undefined, 8000)).message.body as string);
    assert.deepEqual(got, bodies.map((b) => `#${b}`));
    await Promise.all([ca.close(), cb.close()]);
  });
});
