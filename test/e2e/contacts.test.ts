import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from '../helpers/client.js';
import { TestServer } from '../helpers/server.js';

describe('contacts', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  it('matches entries to users of the organization, including users who register or change later', async () => {
    const org = await server.createOrg();
    const me = await server.createUser(org);
    const known = await server.createUser(org, { phone: '5551234' });
    const stranger = await server.createUser(await server.createOrg(), { email: 'later@example.com' });
    const c = await server.loggedIn(me);
    const added = await c.request('contact_add', { first_name: 'Kim', email: [{ type: 'work', value: `${known.login.toLowerCase()}@example.com` }, { type: 'home', value: 'later@example.com' }], phone: [{ type: 'mobile', value: '5551234' }] });
    assert.equal(added.contact.user_id, undefined);
    assert.equal(added.contact.organization_id, org);
    assert.deepEqual(added.contact.email, [{ type: 'work', value: `${known.login.toLowerCase()}@example.com`, matched_user_id: known._id }, { type: 'home', value: 'later@example.com' }]);
    assert.deepEqual(added.contact.phone, [{ type: 'mobile', value: '5551234', matched_user_id: known._id }]);
    assert.ok(stranger._id);
    // someone registers later with that e-mail in this organization: the entry now matches
    const later = await server.createUser(org, { email: 'later@example.com' });
    let list = (await c.request('contact_list', {})).contacts as Frame[];
    assert.equal(list[0]?.email[1].matched_user_id, later._id);
    assert.equal(list[0]?.user_id, me._id);
    // the matched user changes phone: the match follows
    const ck = await server.loggedIn(known);
    await ck.request('user_edit', { phone: '5559999' });
    list = (await c.request('contact_list', {})).contacts as Frame[];
    assert.deepEqual(list[0]?.phone, [{ type: 'mobile', value: '5551234' }]);
    const updated = await c.request('contact_update', { id: added.contact._id, phone: [{ type: 'mobile', value: '5559999' }], company: 'Acme' });
    assert.equal(updated.contact.phone[0].matched_user_id, known._id);
    assert.equal(updated.contact.company, 'Acme');
    await Promise.all([c.close(), ck.close()]);
  });

  it('keeps address books private and answers the catalogued errors', async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const ca = await server.loggedIn(a);
    const cb = await server.loggedIn(b);
    const id = (await ca.request('contact_add', { last_name: 'Only', phone: [{ type: 'm', value: '1' }] })).contact._id as string;
    assert.deepEqual((await cb.request('contact_list', {})).contacts, []);
    assert.deepEqual((await cb.request('contact_update', { id, first_name: 'Hijack' })).error, { status: 422, message: 'Contact not found.' });
    assert.equal((await cb.request('contact_delete', { id })).success, true);
    assert.equal((await ca.request('contact_list', {})).contacts.length, 1);
    assert.deepEqual((await ca.request('contact_add', { company: 'Co', email: [] })).error, { status: 422, message: "'first_name' or 'last_name' is missed." });
    assert.deepEqual((await ca.request('contact_add', { first_name: 'No' })).error, { status: 422, message: 'Email or phone is missed.' });
    assert.deepEqual((await ca.request('contact_update', { first_name: 'x1' })).error, { status: 422, message: 'Contact id is missed.' });
    assert.deepEqual((await ca.request('contact_delete', {})).error, { status: 422, message: 'Contact id is missed.' });
    assert.equal((await ca.request('contact_add', { first_name: 'Bad', email: 'x' })).error, '"email" must be an array');
    assert.equal((await ca.request('contact_delete', { id })).success, true);
    assert.deepEqual((await ca.request('contact_list', {})).contacts, []);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('adds three thousand entries in one request while other clients are answered', async () => {
    const org = await server.createOrg();
    const a = await server.createUser(org);
    const ca = await server.loggedIn(a);
    const other = await server.client();
    const contacts = Array.from({ length: 3000 }, (_, i) => ({ first_name: `Friend${i}`, phone: [{ type: 'm', value: `+1000${i}` }] }));
    const batch = ca.request('contact_batch_add', { contacts });
    let answeredDuring = 0;
    let done = false;
    void batch.then(() => (done = true));
    while (!done) {
      await other.request('ping');
      if (!done) answeredDuring++;
    }
    const r = await batch;
    assert.equal(r.contacts.length, 3000);
    assert.ok(answeredDuring > 0, 'pings were answered while the batch was stored');
    assert.equal((await ca.request('contact_list', { limit: 0 })).contacts.length, 3000);
    assert.equal((await ca.request('contact_list', {})).contacts.length, 100);
    assert.deepEqual((await ca.request('contact_batch_add', { contacts: [{ first_name: 'Ok', phone: [{ type: 'm', value: '1' }] }, { first_name: 'Missing' }] })).error, { status: 422, message: 'Email or phone is missed.' });
    assert.equal((await ca.request('contact_list', { limit: 0 })).contacts.length, 3000);
    await Promise.all([ca.close(), other.close()]);
  });
});
