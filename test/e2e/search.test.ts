import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import { TestServer, type TestUser } from '../helpers/server.js';

/**
 * parley_message_search end to end (docs/protocol-extensions.md, Full-text search): ranking,
 * highlights, paging, the cid filter, the index following edits and deletes, encrypted messages,
 * message_list's permissions, and bad input — on whichever store the run uses (PARLEY_TEST_STORE).
 */
describe('parley_message_search', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  interface Hit {
    message: Frame;
    snippet: string;
    highlights: [number, number][];
  }

  /** The reply of a search that must succeed. */
  async function search(c: TestClient, body: Record<string, unknown>): Promise<{ hits: Hit[]; cursor?: string }> {
    const reply = await c.request('parley_message_search', body);
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    return reply as unknown as { hits: Hit[]; cursor?: string };
  }
  const bodies = async (c: TestClient, body: Record<string, unknown>): Promise<string[]> => (await search(c, body)).hits.map((h) => h.message.body as string);

  /** Sends a message and waits for its ask; returns the server id. */
  async function say(c: TestClient, cid: string, body: string, more: Record<string, unknown> = {}): Promise<string> {
    const id = `m${Math.random().toString(36).slice(2)}`;
    c.send({ message: { id, cid, body, ...more } });
    const ask = await c.next((f) => f.ask?.mid === id || (f.message?.error !== undefined && f.message?.id === id));
    assert.ok(ask.ask, JSON.stringify(ask));
    return ask.ask.server_mid as string;
  }

  /** An organization with users a, b, c; groups ab and ac; sockets for all three. */
  async function world(): Promise<{ org: string; a: TestUser; b: TestUser; c: TestUser; ca: TestClient; cb: TestClient; cc: TestClient; ab: string; ac: string }> {
    const org = await server.createOrg();
    const [a, b, c] = await Promise.all([server.createUser(org), server.createUser(org), server.createUser(org)]);
    const [ca, cb, cc] = await Promise.all([server.loggedIn(a, 'a1'), server.loggedIn(b, 'b1'), server.loggedIn(c, 'c1')]);
    const ab = (await ca.request('conversation_create', { type: 'g', name: 'ab', participants: [b._id] })).conversation._id as string;
    const ac = (await ca.request('conversation_create', { type: 'g', name: 'ac', participants: [c._id] })).conversation._id as string;
    return { org, a, b, c, ca, cb, cc, ab, ac };
  }

  it('ranks, highlights, pages and filters by conversation', async () => {
    const { a, ca, cb, cc, ab, ac } = await world();
    const once = await say(ca, ab, 'We should talk about the Harbour project next week, when everyone is back from the trip.');
    const twice = await say(cb, ab, 'harbour, harbour: the harbour crane is fixed');
    const elsewhere = await say(cc, ac, 'The harbour is closed on Sunday');
    await say(ca, ab, 'nothing to see');
    const all = await search(ca, { query: 'HARBOUR' });
    // three mentions rank above one; the other two (one mention each) may come in either order
    assert.equal(all.hits[0]?.message._id, twice);
    assert.deepEqual(new Set(all.hits.map((h) => h.message._id)), new Set([twice, once, elsewhere]));
    assert.equal(all.hits.length, 3);
    assert.equal(all.cursor, undefined, 'one page only');
    // the hit is the message as message_list shows it (status and reactions included)
    const listed = (await ca.request('message_list', { cid: ab })).messages as Frame[];
    const mine = all.hits.find((h) => h.message._id === once)!;
    assert.deepEqual(mine.message, listed.find((m) => m._id === once));
    assert.equal(mine.message.status, 'sent');
    assert.equal(mine.message.from, a._id);
    // highlights are offsets of every matched word into the snippet
    const top = all.hits[0];
    assert.equal(top.snippet, 'harbour, harbour: the harbour crane is fixed');
    assert.deepEqual(top.highlights, [[0, 7], [9, 16], [22, 29]]);
    assert.deepEqual(mine.highlights.map(([s, e]) => mine.snippet.slice(s, e)), ['Harbour']);
    // a long body is cut around its first match
    const long = `${'filler '.repeat(60)}the lighthouse keeper ${'tail '.repeat(60)}`;
    await say(ca, ab, long);
    const [cut] = (await search(cb, { query: 'lighthouse' })).hits;
    assert.ok(cut!.snippet.startsWith('…') && cut!.snippet.endsWith('…') && cut!.snippet.length <= 162, cut!.snippet);
    assert.deepEqual(cut!.highlights.map(([s, e]) => cut!.snippet.slice(s, e)), ['lighthouse']);
    // all words must occur; a quoted phrase must occur in a row
    assert.deepEqual(await bodies(ca, { query: 'crane harbour' }), ['harbour, harbour: the harbour crane is fixed']);
    assert.deepEqual(await bodies(ca, { query: '"crane is"' }), ['harbour, harbour: the harbour crane is fixed']);
    assert.deepEqual(await bodies(ca, { query: '"is crane"' }), []);
    // cid: one conversation only
    assert.deepEqual((await search(ca, { query: 'harbour', cid: ac })).hits.map((h) => h.message._id), [elsewhere]);
    // paging: limit 1 walks the same order with the cursor, and the last page has none
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search(ca, { query: 'harbour', limit: 1, ...(cursor ? { cursor } : {}) });
      assert.equal(page.hits.length, 1);
      seen.push(page.hits[0]!.message._id as string);
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(seen, all.hits.map((h) => h.message._id));
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('follows edits, deletes for everyone, delete for me and deleted_for', async () => {
    const { b, ca, cb, cc, ab } = await world();
    const edited = await say(ca, ab, 'see you at the station');
    const gone = await say(ca, ab, 'station closed');
    const forMe = await say(ca, ab, 'station open');
    await say(ca, ab, 'station secret', { deleted_for: [b._id] });
    assert.equal((await ca.request('message_edit', { id: edited, body: 'see you at the airport' })).success, true);
    assert.deepEqual(await bodies(cb, { query: 'airport' }), ['see you at the airport']);
    assert.equal((await search(cb, { query: 'station' })).hits.some((h) => h.message._id === edited), false, 'old words left the index');
    assert.equal((await ca.request('message_delete', { cid: ab, ids: [gone], type: 'all' })).success, true);
    assert.equal((await cb.request('message_delete', { cid: ab, ids: [forMe], type: 'myself' })).success, true);
    assert.deepEqual(await bodies(cb, { query: 'station' }), [], 'b: deleted for all, for b, and sent with deleted_for b');
    assert.deepEqual(new Set(await bodies(ca, { query: 'station' })), new Set(['station open', 'station secret']));
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('never finds encrypted messages', async () => {
    const { b, ca, cb, cc, ab } = await world();
    await say(ca, ab, 'ciphertext-like zebra', { encrypted_message_type: 1 });
    const secret = (await ca.request('conversation_create', { type: 'u', participants: [b._id], is_encrypted: true })).conversation._id as string;
    await say(ca, secret, 'zebra in the encrypted chat', { encrypted_message_type: 0 });
    await say(ca, secret, 'a plain zebra in the encrypted chat');
    await say(ca, ab, 'plain zebra');
    assert.deepEqual(await bodies(cb, { query: 'zebra' }), ['plain zebra']);
    assert.deepEqual((await search(cb, { query: 'zebra', cid: secret })).hits, []);
    await Promise.all([ca.close(), cb.close(), cc.close()]);
  });

  it('applies message_list permissions: other conversations, other organizations, removed participants', async () => {
    const { a, b, ca, cb, cc, ab, ac } = await world();
    await say(ca, ac, 'walrus in ac');
    const before = await say(ca, ab, 'walrus before removal');
    // b is not in ac: the same error as message_list, and no hit from it without cid
    const forbidden = await cb.request('parley_message_search', { query: 'walrus', cid: ac });
    assert.deepEqual(forbidden.error, (await cb.request('message_list', { cid: ac })).error);
    assert.deepEqual(forbidden.error, { status: 403, message: 'Forbidden.' });
    assert.deepEqual(await bodies(cb, { query: 'walrus' }), ['walrus before removal']);
    // another organization's conversation is as unknown as a missing one
    const otherOrg = await server.createOrg();
    const [x, y] = await Promise.all([server.createUser(otherOrg), server.createUser(otherOrg)]);
    const cx = await server.loggedIn(x, 'x1');
    const xy = (await cx.request('conversation_create', { type: 'g', name: 'xy', participants: [y._id] })).conversation._id as string;
    await say(cx, xy, 'walrus of another organization');
    const foreign = await ca.request('parley_message_search', { query: 'walrus', cid: xy });
    assert.deepEqual(foreign.error, (await ca.request('message_list', { cid: xy })).error);
    assert.deepEqual(foreign.error, { status: 404, message: 'Conversation not found.' });
    assert.deepEqual(new Set(await bodies(ca, { query: 'walrus' })), new Set(['walrus in ac', 'walrus before removal']));
    // b removed from ab: what is written after removal is never found (nor, as message_list
    // refuses the conversation, anything of it)
    assert.equal((await ca.request('conversation_update', { id: ab, participants: { remove: [b._id] } })).conversation !== undefined, true);
    await say(ca, ab, 'walrus after removal');
    assert.deepEqual(await bodies(cb, { query: 'walrus' }), []);
    const removed = await cb.request('parley_message_search', { query: 'walrus', cid: ab });
    assert.deepEqual(removed.error, (await cb.request('message_list', { cid: ab })).error);
    assert.ok((await bodies(ca, { query: 'walrus' })).includes('walrus after removal'));
    assert.equal(before.length, 24);
    assert.equal(a._id.length, 24);
    await Promise.all([ca.close(), cb.close(), cc.close(), cx.close()]);
  });

  it('answers bad input with 422 errors and keeps the connection usable', async () => {
    const { ca, cb, cc, ab } = await world();
    await say(ca, ab, 'kept usable');
    const query = { status: 422, message: "'query' must be a string with 1 to 16 words." };
    const cursor = { status: 422, message: 'Incorrect cursor.' };
    const limit = { status: 422, message: "'limit' must be an integer from 1 to 100." };
    const request = { status: 422, message: 'Incorrect search request.' };
    const cases: [unknown, unknown][] = [
      [{}, query],
      [{ query: 42 }, query],
      [{ query: '' }, query],
      [{ query: '   !!! ... ' }, query],
      [{ query: 'x'.repeat(257) }, query],
      [{ query: Array.from({ length: 17 }, (_, n) => `w${n}`).join(' ') }, query],
      [{ query: 'kept', limit: 0 }, limit],
      [{ query: 'kept', limit: 101 }, limit],
      [{ query: 'kept', limit: '5' }, limit],
      [{ query: 'kept', limit: 1.5 }, limit],
      [{ query: 'kept', cursor: 'not-a-cursor' }, cursor],
      [{ query: 'kept', cursor: Buffer.from('o5000').toString('base64url') }, cursor],
      [{ query: 'kept', cursor: Buffer.from('o0').toString('base64url') }, cursor],
      [{ query: 'kept', cursor: 7 }, cursor],
      [{ query: 'kept', cursor: '' }, cursor],
      [{ query: 'kept', cid: 42 }, { status: 422, message: "'cid' field is required." }],
      [{ query: 'kept', extra: 1 }, request],
      ['abc', request],
      [null, request],
      [[], request],
    ];
    for (const [body, error] of cases) assert.deepEqual((await ca.request('parley_message_search', body)).error, error, JSON.stringify(body));
    // a cid that names nothing: message_list's answer
    assert.deepEqual((await ca.request('parley_message_search', { query: 'kept', cid: 'nothex' })).error, (await ca.request('message_list', { cid: 'nothex' })).error);
    // FTS5 and tsquery syntax is plain text here: none of it is an error
    // operators are words like any other, so every word must occur
    const syntax: [string, boolean][] = [['kept*', true], ['kept:*', true], ['"kept', true], ["kept' | !", true], ['usable -kept', true], ['{body}: kept', false], ['kept AND usable', false], ['NEAR(kept usable)', false]];
    for (const [q, found] of syntax) assert.deepEqual(await bodies(ca, { query: q }), found ? ['kept usable'] : [], q);
    const anon = await server.client();
    assert.deepEqual((await anon.request('parley_message_search', { query: 'kept' })).error, { status: 401, message: 'Unauthorized.' });
    assert.deepEqual(await bodies(ca, { query: 'kept' }), ['kept usable']);
    assert.ok((await ca.request('ping', {})).pong);
    await Promise.all([ca.close(), cb.close(), cc.close(), anon.close()]);
  });
});
