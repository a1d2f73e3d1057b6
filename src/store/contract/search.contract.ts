import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newIdAt } from '../../protocol/ids.js';
import type { MessageRecord, MessageSearchQuery, Store } from '../store.js';
import { freshOrg } from './harness.js';

/** Contract of MessageSearchStore: the index follows writes, and message_list's rules apply. */
export function searchContract(store: () => Store): void {
  let clock = 5_000;
  async function group(org: string, members: readonly string[], encrypted = false): Promise<string> {
    const [owner] = members;
    if (owner === undefined) throw new Error('a group needs an owner');
    const conv = await store().conversations.create(
      { _id: newId(), organization_id: org, type: 'g', name: 'g', description: null, owner_id: owner, opponent_id: null, image_object: null, is_encrypted: encrypted, created_at: 1 },
      members.map((u, n) => ({ user_id: u, role: n === 0 ? 'owner' : null })),
    );
    return conv._id;
  }
  async function put(org: string, cid: string, from: string, body: string | null, fields: Partial<MessageRecord> = {}, hiddenFor: string[] = []): Promise<string> {
    clock += 1;
    const record: MessageRecord = { _id: newIdAt(clock), organization_id: org, cid, from, client_id: null, body, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: 1, created_at: clock, updated_at: clock, ...fields };
    return (await store().messages.insert(record, hiddenFor)).record._id;
  }
  const query = (words: string, more: Partial<MessageSearchQuery> = {}): MessageSearchQuery => ({ phrases: words.split(' ').map((w) => w.split('+')), limit: 50, ...more });
  const ids = async (org: string, viewer: string, q: MessageSearchQuery): Promise<string[]> => (await store().search.newestMatches(org, viewer, q)).map((m) => m._id);

  describe('MessageSearchStore', () => {
    it('finds messages holding every word of the query, newest first, up to the limit', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const cid = await group(org, [a, b]);
      const once = await put(org, cid, a, 'a long message that mentions the harbour only once among many other words here');
      const twice = await put(org, cid, b, 'Harbour, harbour!');
      await put(org, cid, a, 'nothing relevant');
      const both = await put(org, cid, a, 'the harbour crane is broken');
      assert.deepEqual(await ids(org, a, query('harbour')), [both, twice, once]);
      assert.deepEqual(await ids(org, a, query('HARBOUR crane')), [both]);
      const [first] = await store().search.newestMatches(org, a, query('harbour', { limit: 1 }));
      assert.deepEqual(first?.body, 'the harbour crane is broken', 'whole records');
      // phrases: words in a row
      assert.deepEqual(await ids(org, a, query('crane+is')), [both]);
      assert.deepEqual(await ids(org, a, query('is+crane')), []);
      assert.deepEqual(await ids(org, a, query('harbour', { limit: 2 })), [both, twice]);
    });

    it('follows edits and deletes for everyone, hides what is hidden for the viewer', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const cid = await group(org, [a, b]);
      const edited = await put(org, cid, a, 'meet at the lighthouse');
      const gone = await put(org, cid, a, 'lighthouse keeper');
      const mine = await put(org, cid, a, 'lighthouse tour');
      const sentHidden = await put(org, cid, a, 'lighthouse secret', {}, [b]);
      assert.deepEqual(new Set(await ids(org, b, query('lighthouse'))), new Set([edited, gone, mine]));
      await store().messages.editBody(org, edited, 'meet at the pier', 9_000);
      assert.deepEqual(await ids(org, a, query('pier')), [edited]);
      assert.ok(!(await ids(org, a, query('lighthouse'))).includes(edited), 'the old words are gone');
      await store().messages.deleteForAll(org, cid, [gone]);
      await store().messages.hideFor(org, cid, [mine], b);
      assert.deepEqual(await ids(org, b, query('lighthouse')), []);
      assert.deepEqual(new Set(await ids(org, a, query('lighthouse'))), new Set([mine, sentHidden]));
    });

    it('never finds encrypted messages, other conversations, other organizations or former conversations', async () => {
      const org = await freshOrg(store());
      const other = await freshOrg(store());
      const [a, b, c] = [newId(), newId(), newId()];
      const ab = await group(org, [a, b]);
      const bc = await group(org, [b, c]);
      const secret = await group(org, [a, b], true);
      const abMsg = await put(org, ab, a, 'quarterly numbers');
      const bcMsg = await put(org, bc, c, 'quarterly numbers');
      await put(org, ab, a, 'quarterly numbers', { encrypted_message_type: 1 });
      await put(org, secret, a, 'quarterly numbers');
      await put(other, await group(other, [a]), a, 'quarterly numbers');
      assert.deepEqual(await ids(org, a, query('quarterly')), [abMsg]);
      assert.deepEqual(new Set(await ids(org, b, query('quarterly'))), new Set([abMsg, bcMsg]));
      assert.deepEqual(await ids(org, b, query('quarterly', { cid: bc })), [bcMsg]);
      assert.deepEqual(await ids(org, a, query('quarterly', { cid: bc })), [], 'not a participant');
      assert.deepEqual(await ids(org, a, query('quarterly', { cid: secret })), []);
      assert.deepEqual(await ids(org, a, query('quarterly', { cid: newId() })), []);
      // removed from bc: b finds nothing there any more, old or new
      await store().participants.remove(org, bc, [b]);
      await put(org, bc, c, 'quarterly numbers again');
      assert.deepEqual(await ids(org, b, query('quarterly')), [abMsg]);
      assert.deepEqual(await ids(org, b, query('quarterly', { cid: bc })), []);
    });

    it('finds the same through the common-word plan (more matches than a probe reads)', async () => {
      const org = await freshOrg(store());
      const [a, b] = [newId(), newId()];
      const crowd = await group(org, [b]);
      await Promise.all(Array.from({ length: 2100 }, () => put(org, crowd, b, 'everywhere word')));
      const mine = await group(org, [a, b]);
      const hidden = await put(org, mine, b, 'everywhere word', {}, [a]);
      const seen = await put(org, mine, b, 'everywhere too');
      assert.deepEqual(await ids(org, a, query('everywhere')), [seen]);
      assert.equal((await ids(org, b, query('everywhere', { limit: 3 }))).length, 3);
      assert.deepEqual(await ids(org, b, query('everywhere', { cid: mine })), [seen, hidden]);
    });

    it('cuts words as both stores do: case folded, accents kept, any script; a message without body is not indexed', async () => {
      const org = await freshOrg(store());
      const a = newId();
      const cid = await group(org, [a]);
      const id = await put(org, cid, a, 'ünïcödé Straße 東京 words');
      assert.deepEqual(await ids(org, a, query('straße')), [id]);
      assert.deepEqual(await ids(org, a, query('東京')), [id]);
      assert.deepEqual(await ids(org, a, query('strasse')), [], 'accents are kept, not folded');
      await put(org, cid, a, null);
      assert.deepEqual(await ids(org, a, query('words')), [id]);
    });
  });
}
