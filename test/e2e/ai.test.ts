import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { NO_MESSAGES } from '../../src/domain/assistant.js';
import type { TestClient } from '../helpers/client.js';
import { fakeAi, type AiRequest, type FakeAi } from '../helpers/fake-ai.js';
import { TestServer, type TestUser } from '../helpers/server.js';

const AI_ERROR = { status: 500, message: 'An error occurred while processing messages with the AI agent.' };
const KEY = 'stand-in-key';
const MODEL = 'test-model-1';

/** Texts the caller must never have sent on their behalf: hidden, deleted, encrypted or elsewhere. */
const SECRETS = ['SECRET-DELETED-FOR-ALICE', 'SECRET-HIDDEN-BY-ALICE', 'SECRET-REMOVED-FOR-ALL', 'SECRET-OTHER-CONVERSATION', 'SECRET-ENCRYPTED'];

/** Settings that point Parley at the stand-in. */
function providerEnv(api: 'gemini' | 'openai', origin: string): Record<string, string> {
  return api === 'gemini'
    ? { GOOGLE_GENERATIVE_AI_API_KEY: KEY, GOOGLE_GENERATIVE_AI_MODEL: MODEL, GOOGLE_GENERATIVE_AI_BASE_URL: origin }
    : { AI_BASE_URL: `${origin}/v1`, AI_API_KEY: KEY, AI_MODEL: MODEL };
}

/** The instruction and the user text of a request, as each API carries them. */
function promptOf(api: 'gemini' | 'openai', r: AiRequest): { instruction: string; text: string } {
  if (api === 'gemini') {
    assert.equal(r.body.contents.length, 1);
    assert.equal(r.body.contents[0].role, 'user');
    return { instruction: r.body.systemInstruction.parts[0].text, text: r.body.contents[0].parts[0].text };
  }
  assert.equal(r.body.model, MODEL);
  assert.deepEqual(r.body.messages.map((m: { role: string }) => m.role), ['system', 'user']);
  return { instruction: r.body.messages[0].content, text: r.body.messages[1].content };
}

/** Checks path, method and headers against the provider's real API. */
function assertShape(api: 'gemini' | 'openai', r: AiRequest): void {
  assert.equal(r.method, 'POST');
  assert.match(String(r.headers['content-type']), /^application\/json/);
  if (api === 'gemini') {
    assert.equal(r.path, `/v1beta/models/${MODEL}:generateContent`);
    assert.equal(r.headers['x-goog-api-key'], KEY);
    assert.equal(r.headers.authorization, undefined);
  } else {
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  }
}

interface Chat {
  a: TestUser;
  b: TestUser;
  ca: TestClient;
  cb: TestClient;
  cc: TestClient;
  cid: string;
  other: string;
}

/**
 * Alice, Bob and Carol in a group with visible messages and, around them, messages Alice may not
 * have summarised: hidden for her from the start, hidden by her, deleted for all, encrypted, and
 * one in a conversation of Bob and Carol only.
 */
async function chat(server: TestServer): Promise<Chat> {
  const org = await server.createOrg();
  const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
  const ca = await server.loggedIn(a);
  const cb = await server.loggedIn(b);
  const cc = await server.loggedIn(c);
  assert.ok((await ca.request('user_edit', { first_name: 'Alice' })).user);
  assert.ok((await cb.request('user_edit', { first_name: 'Bob' })).user);
  const cid = (await ca.request('conversation_create', { type: 'g', name: 'plans', participants: [b._id, c._id] })).conversation._id as string;
  const other = (await cb.request('conversation_create', { type: 'g', name: 'without alice', participants: [c._id] })).conversation._id as string;
  const send = async (cl: TestClient, body: Record<string, unknown>): Promise<string> => (await cl.request('message', { id: `m${Math.random()}`, ...body })).ask.server_mid as string;
  await send(cb, { cid, body: 'We ship the release on Friday.' });
  await send(cc, { cid, body: 'SECRET-DELETED-FOR-ALICE', deleted_for: [a._id] });
  const hidden = await send(cb, { cid, body: 'SECRET-HIDDEN-BY-ALICE' });
  assert.equal((await ca.request('message_delete', { cid, ids: [hidden], type: 'myself' })).success, true);
  const removed = await send(cc, { cid, body: 'SECRET-REMOVED-FOR-ALL' });
  assert.equal((await cc.request('message_delete', { cid, ids: [removed], type: 'all' })).success, true);
  await send(cc, { cid, body: 'SECRET-ENCRYPTED', encrypted_message_type: 1 });
  await send(cb, { cid: other, body: 'SECRET-OTHER-CONVERSATION' });
  await send(ca, { cid, body: 'Alice will test the build on Thursday.' });
  return { a, b, ca, cb, cc, cid, other };
}

for (const api of ['gemini', 'openai'] as const) {
  describe(`message_summary and message_tone through ${api === 'gemini' ? 'Gemini' : 'an OpenAI-compatible API'} (local stand-in)`, () => {
    let fake: FakeAi;
    let server: TestServer;
    before(async () => {
      fake = await fakeAi(api, { key: KEY, model: MODEL });
      server = await TestServer.start({ ...providerEnv(api, fake.origin), AI_TIMEOUT_MS: '400', AI_RATE_LIMIT_PER_MINUTE: '0' });
    });
    after(async () => {
      await server.stop();
      await fake.close();
    });

    it("sends only the caller's visible messages of that conversation, in the API's shape, and answers the provider's text", async () => {
      const { ca, cid } = await chat(server);
      fake.mode = { kind: 'ok', text: 'Bob ships Friday; Alice tests Thursday.' };
      const before = fake.requests.length;
      const r = await ca.request('message_summary', { cid, filter: 'last-day' });
      assert.deepEqual(r.message, 'Bob ships Friday; Alice tests Thursday.');
      const sent = fake.requests.slice(before);
      assert.equal(sent.length, 1);
      const req = sent[0]!;
      assertShape(api, req);
      const { instruction, text } = promptOf(api, req);
      assert.equal(text, 'Bob: We ship the release on Friday.\nAlice: Alice will test the build on Thursday.');
      assert.match(instruction, /summar/i);
      for (const s of SECRETS) assert.ok(!JSON.stringify(req.body).includes(s), `${s} was sent`);
    });

    it("summarises unreads: others' messages after the caller's read marker", async () => {
      const { ca, cb, cid } = await chat(server);
      assert.equal((await ca.request('message_read', { cid })).success, true);
      await cb.request('message', { id: 'late', cid, body: 'New topic: the budget review moves to Monday.' });
      fake.mode = { kind: 'ok', text: 'Budget review on Monday.' };
      const before = fake.requests.length;
      assert.equal((await ca.request('message_summary', { cid, filter: 'unreads' })).message, 'Budget review on Monday.');
      assert.equal(promptOf(api, fake.requests[before]!).text, 'Bob: New topic: the budget review moves to Monday.');
    });

    it('answers the fixed text without asking the provider when there is no filter or nothing to summarise', async () => {
      const { ca, cid } = await chat(server);
      const before = fake.requests.length;
      assert.equal((await ca.request('message_summary', { cid })).message, NO_MESSAGES);
      assert.equal((await ca.request('message_read', { cid })).success, true);
      assert.equal((await ca.request('message_summary', { cid, filter: 'unreads' })).message, NO_MESSAGES);
      assert.equal(fake.requests.length, before);
    });

    it('refuses non-participants (403), unknown conversations (404), channels (403) and bad filters', async () => {
      const { ca, cb, cc, other } = await chat(server);
      assert.deepEqual((await ca.request('message_summary', { cid: other, filter: 'last-day' })).error, { status: 403, message: 'Forbidden.' });
      assert.deepEqual((await ca.request('message_summary', { cid: '0123456789abcdef01234567', filter: 'last-day' })).error, { status: 404, message: 'Conversation not found.' });
      const channel = (await cb.request('conversation_create', { type: 'c', name: 'news', participants: [] })).conversation._id as string;
      await cb.request('message', { id: 'n1', cid: channel, body: 'Channel post.' });
      assert.deepEqual((await cb.request('message_summary', { cid: channel, filter: 'last-day' })).error, { status: 403, message: 'Forbidden.' });
      assert.equal(typeof (await cc.request('message_summary', { cid: other, filter: 'yesterday' })).error, 'string');
      assert.deepEqual((await cc.request('message_summary', { filter: 'last-day' })).error, { status: 422, message: "'cid' field is required." });
    });

    it('turns a provider 500, a timeout and a malformed reply into the AI error; the connection stays usable', async () => {
      const { ca, cid } = await chat(server);
      const malformed = api === 'gemini' ? '{"candidates": "nope"}' : '{"choices": [{"message": {"content": 7}}]}';
      for (const mode of [{ kind: 'status', status: 500 }, { kind: 'status', status: 429 }, { kind: 'hang' }, { kind: 'malformed', body: 'not json' }, { kind: 'malformed', body: malformed }] as const) {
        fake.mode = mode;
        const started = Date.now();
        assert.deepEqual((await ca.request('message_summary', { cid, filter: 'last-7-days' })).error, AI_ERROR, JSON.stringify(mode));
        assert.deepEqual((await ca.request('message_tone', { body: 'hello there', tone: 'positive' })).error, AI_ERROR, JSON.stringify(mode));
        if (mode.kind === 'hang') assert.ok(Date.now() - started >= 2 * 400 - 50, 'waited for the deadline');
        assert.equal((await ca.request('message_list', { cid })).messages.length, 3, 'the socket still works');
      }
      fake.mode = { kind: 'ok', text: 'Back again.' };
      assert.equal((await ca.request('message_summary', { cid, filter: 'last-7-days' })).message, 'Back again.');
    });

    it('rewrites a message in the tone asked for', async () => {
      const { ca } = await chat(server);
      fake.mode = { kind: 'ok', text: 'Could you please send the report? Thanks so much!' };
      const before = fake.requests.length;
      const r = await ca.request('message_tone', { body: 'send the report', tone: 'positive' });
      assert.equal(r.message, 'Could you please send the report? Thanks so much!');
      const req = fake.requests[before]!;
      assertShape(api, req);
      const { instruction, text } = promptOf(api, req);
      assert.equal(text, 'send the report');
      assert.match(instruction, /friendly/);
      await ca.request('message_tone', { body: 'send the report', tone: 'cringe' });
      assert.match(promptOf(api, fake.requests[before + 1]!).instruction, /cringe/);
      assert.equal(typeof (await ca.request('message_tone', { body: '', tone: 'positive' })).error, 'string');
      assert.equal(typeof (await ca.request('message_tone', { body: 'x', tone: 'sarcastic' })).error, 'string');
      assert.equal(typeof (await ca.request('message_tone', { tone: 'negative' })).error, 'string');
      assert.equal(fake.requests.length, before + 2, 'invalid requests reach no provider');
    });
  });
}

describe('AI limits, logs and the fallback', () => {
  let fake: FakeAi;
  before(async () => {
    fake = await fakeAi('openai', { key: KEY, model: MODEL });
  });
  after(() => fake.close());

  it('limits requests per user per minute (429), other users unaffected', async () => {
    const server = await TestServer.start({ ...providerEnv('openai', fake.origin), AI_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const { ca, cb, cid } = await chat(server);
      fake.mode = { kind: 'ok', text: 'ok' };
      assert.equal((await ca.request('message_summary', { cid, filter: 'last-day' })).message, 'ok');
      assert.equal((await ca.request('message_tone', { body: 'hi', tone: 'negative' })).message, 'ok');
      const before = fake.requests.length;
      assert.deepEqual((await ca.request('message_tone', { body: 'hi', tone: 'negative' })).error, { status: 429, message: 'Too many requests.' });
      assert.equal(fake.requests.length, before, 'a refused request reaches no provider');
      assert.equal((await cb.request('message_summary', { cid, filter: 'last-day' })).message, 'ok');
    } finally {
      await server.stop();
    }
  });

  it('caps the text sent, keeping the newest messages, and refuses an overlong tone body (413)', async () => {
    const server = await TestServer.start({ ...providerEnv('openai', fake.origin), AI_MAX_INPUT_CHARS: '300', AI_RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const { ca, cb, cid } = await chat(server);
      for (let i = 0; i < 20; i++) await cb.request('message', { id: `f${String(i)}`, cid, body: `Filler message number ${String(i)} about nothing much.` });
      fake.mode = { kind: 'ok', text: 'ok' };
      const before = fake.requests.length;
      await ca.request('message_summary', { cid, filter: 'last-day' });
      const text = promptOf('openai', fake.requests[before]!).text;
      assert.ok(text.length <= 300, `sent ${String(text.length)} characters`);
      assert.ok(text.endsWith('Bob: Filler message number 19 about nothing much.'));
      assert.ok(!text.includes('release on Friday'), 'the oldest messages are left out');
      assert.deepEqual((await ca.request('message_tone', { body: 'x'.repeat(301), tone: 'positive' })).error, { status: 413, message: 'Payload too large.' });
    } finally {
      await server.stop();
    }
  });

  it('logs no message text, whatever the provider does', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const server = await TestServer.start({ ...providerEnv('openai', fake.origin), AI_TIMEOUT_MS: '300', AI_RATE_LIMIT_PER_MINUTE: '0' }, pino({ level: 'trace' }, sink));
    const clients: TestClient[] = [];
    try {
      const c = await chat(server);
      clients.push(c.ca, c.cb, c.cc);
      for (const mode of [{ kind: 'ok', text: 'SECRET-SUMMARY-REPLY' }, { kind: 'status', status: 500 }, { kind: 'hang' }, { kind: 'malformed', body: '{"echo": "We ship the release on Friday."}' }] as const) {
        fake.mode = mode;
        await c.ca.request('message_summary', { cid: c.cid, filter: 'last-day' });
        await c.ca.request('message_tone', { body: 'SECRET-TONE-BODY', tone: 'negative' });
      }
      const log = lines.join('');
      assert.match(log, /AI provider request failed/, 'failures are logged');
      for (const s of ['release on Friday', 'test the build', 'SECRET-TONE-BODY', 'SECRET-SUMMARY-REPLY']) assert.ok(!log.includes(s), `log holds "${s}"`);
    } finally {
      for (const cl of clients) await cl.close();
      await server.stop();
    }
  });
});

describe('no AI provider configured', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('summarises locally from the visible messages only, and message_tone names the settings (403)', async () => {
    const { ca, cb, cid } = await chat(server);
    for (const body of ['The release candidate build failed on the payment tests.', 'I think the payment tests fail because of the new currency rounding.', 'lol', 'Let us fix the currency rounding in the payment module before the release.', 'Lunch?'])
      await cb.request('message', { id: `x${body.length}`, cid, body });
    const r = await ca.request('message_summary', { cid, filter: 'last-7-days' });
    const summary = r.message as string;
    assert.match(summary, /payment/);
    assert.ok(summary.split('\n').every((l) => /^(Alice|Bob|\S+): /.test(l)), summary);
    for (const s of SECRETS) assert.ok(!summary.includes(s), `${s} in the summary`);
    assert.ok(!summary.includes('Lunch?') && !summary.includes('lol'), 'small talk left out');
    const tone = await ca.request('message_tone', { body: 'hello', tone: 'positive' });
    assert.equal(tone.error.status, 403);
    assert.match(tone.error.message, /AI_BASE_URL/);
    assert.match(tone.error.message, /GOOGLE_GENERATIVE_AI_API_KEY/);
    assert.equal((await ca.request('message_list', { cid })).messages.length, 8);
  });
});
