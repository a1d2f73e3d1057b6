import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestServer } from '../helpers/server.js';

/**
 * Conversation handlers are isolated in time: a handler that spins for its whole wall time
 * (3 s, the default) holds one sandbox thread, not the server. Run alone (scripts/run-tests.mjs):
 * it times round trips.
 */
const script = (body: string): string => `async function handler(message, user, accept, resolve, reject, fetch) {\n${body}\n}\nexport default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH)`;

let seq = 0;
function send(c: TestClient, fields: Record<string, unknown>, timeoutMs = 8000): Promise<Frame> {
  const id = `i${String((seq += 1))}`;
  c.send({ message: { id, ...fields } });
  return c.next((f) => f.ask?.mid === id || (f.message?.id === id && f.message.error !== undefined), timeoutMs);
}

describe('conversation handler isolation', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('keeps other conversations fast while a handler spins for 3 s, then refuses that message', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [ca, cb] = await Promise.all([server.loggedIn(a), server.loggedIn(b)]);
    const conv = async (name: string): Promise<string> => (await ca.request('conversation_create', { type: 'g', name, participants: [b._id] })).conversation._id as string;
    const [spinning, plain, handled] = await Promise.all([conv('spins'), conv('plain'), conv('handled')]);
    const dot = script("return resolve({message: {body: message.body + '.'}}, {isReplaceBody: true})");
    for (const cid of [spinning, handled]) assert.equal((await ca.request('conversation_handler_create', { cid, content: dot })).success, true);
    // Warm both sandbox threads (two conversations at once), as a running server has them.
    await Promise.all([send(ca, { cid: handled, body: 'w1' }), send(cb, { cid: spinning, body: 'w2' })]);
    assert.equal((await ca.request('conversation_handler_create', { cid: spinning, content: script('for (;;) {}') })).success, true);
    const started = Date.now();
    const spun = send(cb, { cid: spinning, body: 'spin' });
    await new Promise((r) => setTimeout(r, 100));
    const rtts: number[] = [];
    while (Date.now() - started < 2500) {
      for (const cid of [plain, handled]) {
        const t = Date.now();
        const reply = await send(ca, { cid, body: 'ping' });
        assert.ok(reply.ask, JSON.stringify(reply));
        rtts.push(Date.now() - t);
      }
    }
    const refused = await spun;
    const spinMs = Date.now() - started;
    assert.deepEqual(refused.message.error, { status: 422, message: 'Message refused: the conversation handler failed (timeout).' });
    assert.ok(spinMs >= 2900 && spinMs < 5000, `spin lasted ${String(spinMs)} ms`);
    assert.ok(rtts.length >= 10, `only ${String(rtts.length)} round trips`);
    assert.ok(Math.max(...rtts) < 500, `round trips while spinning: ${rtts.join(', ')} ms`);
    // the spinning conversation works again once its handler is fixed
    assert.equal((await ca.request('conversation_handler_create', { cid: spinning, content: script('return accept()') })).success, true);
    assert.ok((await send(cb, { cid: spinning, body: 'fixed' })).ask);
    const h = (await ca.request('get_conversation_handler', { cid: spinning })).conversation_handler as Frame;
    assert.equal(h.last_error, undefined);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('refuses escape attempts and bombs without harming the server', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const [ca, cb] = await Promise.all([server.loggedIn(a), server.loggedIn(b)]);
    const cid = (await ca.request('conversation_create', { type: 'g', name: 'escape', participants: [b._id] })).conversation._id as string;
    const attempts: [string, RegExp][] = [
      ["return (function(){}).constructor.constructor('return process')().exit(1)", /^error: ReferenceError: 'process' is not defined/],
      ["return ({}).__proto__.constructor.constructor('return require')()('child_process')", /^error: ReferenceError: 'require' is not defined/],
      ["return await import('node:child_process')", /^error: ReferenceError: could not load module/],
      ['return globalThis.process.env', /^error: TypeError: /],
      ['Object.prototype.toJSON = () => { for (;;) {} }; return accept()', /^timeout: /],
      ['const a = []; for (;;) a.push({ n: a.length, s: String(a.length) })', /^(memory|timeout): /],
      ["return resolve({message: {body: 'q'.repeat(1 << 20)}})", /^output: /],
    ];
    for (const [body, detail] of attempts) {
      assert.equal((await ca.request('conversation_handler_create', { cid, content: script(body) })).success, true, body);
      const reply = await send(cb, { cid, body: 'x' }, 10_000);
      assert.equal(reply.message?.error?.status, 422, `${body}: ${JSON.stringify(reply)}`);
      const h = (await ca.request('get_conversation_handler', { cid })).conversation_handler as Frame;
      assert.match(h.last_error as string, detail, body);
    }
    // Nothing got through, and the server still answers.
    assert.deepEqual((await ca.request('message_list', { cid })).messages, []);
    assert.ok((await send(ca, { cid: (await ca.request('conversation_create', { type: 'g', name: 'after', participants: [b._id] })).conversation._id, body: 'still here' })).ask);
    await Promise.all([ca.close(), cb.close()]);
  });
});
