import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageRecord } from '../store.js';
import { AT, MESSAGE_COLUMNS, MESSAGE_WIDTH, PUSH_WIDTH, encodeBatch, readBatch } from './batch-codec.js';

const message = (id: string, fields: Partial<MessageRecord> = {}): MessageRecord => ({
  _id: id,
  organization_id: 'org',
  cid: 'c1',
  from: 'u1',
  client_id: null,
  body: 'hi',
  attachments: null,
  x: null,
  replied_message_id: null,
  forwarded_message_id: null,
  encrypted_message_type: null,
  t: 7,
  created_at: 7000,
  updated_at: 7001,
  ...fields,
});

describe('SQLite writer batch codec', () => {
  it('lays out each message, its hidden-for users, its pushes and its inbox devices where the reader finds them', () => {
    const inbox = { devices: [{ user_id: 'u5', device_id: 'phone' }, { user_id: 'u6', device_id: '7' }], expiresAt: 99 };
    const items = [
      { record: message('m1', { client_id: 'k', attachments: [{ file_id: 'f' }], x: { a: 1 }, encrypted_message_type: 2 }), hiddenFor: ['u2', 'u3'], pushes: [], inbox },
      { record: message('m2', { cid: 'c2' }), hiddenFor: [], pushes: [{ _id: 'p1', organization_id: 'org', user_id: 'u4', payload: '{"b":1}', created_at: 9 }] },
      { record: message('m3'), hiddenFor: [], pushes: [] },
    ];
    const flat = encodeBatch(items);
    const read = readBatch(flat);
    assert.equal(read.length, 3);
    const [a, b, c] = read;
    assert.ok(a && b && c);
    const columns = (at: number): Record<string, unknown> => Object.fromEntries(MESSAGE_COLUMNS.map((name, k) => [name, flat[at + k]]));
    assert.deepEqual(columns(a.at), {
      id: 'm1',
      organization_id: 'org',
      cid: 'c1',
      from_id: 'u1',
      client_id: 'k',
      body: 'hi',
      attachments: '[{"file_id":"f"}]',
      x: '{"a":1}',
      replied_message_id: null,
      forwarded_message_id: null,
      encrypted_message_type: 2,
      t: 7,
      created_at: 7000,
      updated_at: 7001,
    });
    assert.deepEqual(flat.slice(a.hiddenAt, a.hiddenAt + a.hiddenCount), ['u2', 'u3']);
    assert.equal(a.pushCount, 0);
    assert.equal(a.inboxCount, 2);
    assert.deepEqual(flat.slice(a.inboxAt, a.inboxAt + 1 + 2 * a.inboxCount), [99, 'u5', 'phone', 'u6', '7']);
    assert.equal(b.inboxCount, 0);
    assert.equal(flat[b.at + AT.cid], 'c2');
    assert.equal(b.hiddenCount, 0);
    assert.deepEqual(flat.slice(b.pushAt, b.pushAt + b.pushCount * PUSH_WIDTH), ['p1', 'org', 'u4', '{"b":1}', 9]);
    assert.equal(flat[c.at + AT.id], 'm3');
    assert.equal(flat[c.at + AT.created_at], 7000);
    assert.equal(c.inboxAt, flat.length);
  });

  it('refuses a batch that does not add up', () => {
    const flat = encodeBatch([{ record: message('m1'), hiddenFor: ['u2'], pushes: [], inbox: { devices: [{ user_id: 'u3', device_id: 'd' }], expiresAt: 1 } }]);
    assert.throws(() => readBatch(flat.slice(0, -1)), /malformed/);
    assert.throws(() => readBatch(flat.slice(0, -3)), /malformed/);
    const wrongCount = [...flat];
    wrongCount[MESSAGE_WIDTH] = 5;
    assert.throws(() => readBatch(wrongCount), /malformed/);
    assert.deepEqual(readBatch([]), []);
  });
});
