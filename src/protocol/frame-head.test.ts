import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame, encodeError } from './envelope.js';
import { Errors, samaError } from './errors.js';
import { FRAME_HEAD_BYTES, readFrameHead } from './frame-head.js';

const big = 'x'.repeat(FRAME_HEAD_BYTES * 2);

describe('readFrameHead', () => {
  it('reads a wrapped request whose id comes before a cut-off body', () => {
    const frame = `{"request":{"id":"42","message_list":{"cid":"${big}"}}}`;
    assert.deepEqual(readFrameHead(frame), { name: 'message_list', id: '42', bare: false, bodyId: undefined });
  });

  it('reads a bare message whose body id comes first, and numeric ids', () => {
    assert.deepEqual(readFrameHead(`{"message":{"id":"c1","cid":"a","x":{"blob":"${big}"}}}`), { name: 'message', id: undefined, bare: true, bodyId: 'c1' });
    assert.deepEqual(readFrameHead(`{"message":{"id":7,"body":"${big}`), { name: 'message', id: undefined, bare: true, bodyId: 7 });
    assert.deepEqual(readFrameHead(`{"id":9,"typing":{"cid":"${big}`), { name: 'typing', id: 9, bare: false, bodyId: undefined });
  });

  it('finds no id that sits after the scanned start, or inside nested values', () => {
    assert.deepEqual(readFrameHead(`{"request":{"message_list":{"cid":"${big}"},"id":"late"}}`), { name: 'message_list', id: undefined, bare: false, bodyId: undefined });
    assert.deepEqual(readFrameHead('{"request":{"user_edit":{"x":{"id":"nested"}},"id":"3"}}'), { name: 'user_edit', id: '3', bare: false, bodyId: undefined });
    assert.deepEqual(readFrameHead('{"message":{"x":{"id":"nested"},"id":"m"}}'), { name: 'message', id: undefined, bare: true, bodyId: 'm' });
    assert.deepEqual(readFrameHead('{"also": broken'), { name: 'also', id: undefined, bare: false, bodyId: undefined });
  });

  it('reads the ids around a value nested thousands deep, and none from inside it', () => {
    // Levels below the second are never copied into a path (which made deep frames quadratic);
    // an `id` down there must still not pass for a request or body id.
    const deep = (n: number, inner: string): string => `${'{"a":'.repeat(n)}${inner}${'}'.repeat(n)}`;
    assert.deepEqual(readFrameHead(`{"request":{"id":"r","message":{"id":"m","x":${deep(3000, '{"id":"inner"}')}}}}`), { name: 'message', id: 'r', bare: false, bodyId: 'm' });
    assert.deepEqual(readFrameHead(`{"message":{"x":${deep(500, '{"id":"inner"}')},"id":"m"}}`), { name: 'message', id: undefined, bare: true, bodyId: 'm' });
    assert.deepEqual(readFrameHead(`{"message":{"x":${deep(3, '{"id":"inner"}')}}}`), { name: 'message', id: undefined, bare: false, bodyId: undefined });
  });

  it('keeps what it read before broken JSON, and handles escapes in strings', () => {
    assert.deepEqual(readFrameHead('{"request":{"id":"a\\"b","ping":{}}'), { name: 'ping', id: 'a"b', bare: false, bodyId: undefined });
    assert.deepEqual(readFrameHead('{"request":{"id":"5", oops'), { name: undefined, id: '5', bare: false, bodyId: undefined });
    // A number cut by the scan limit is not taken for the whole id.
    const cut = `{"request":{"id":1234`;
    assert.equal(readFrameHead(cut).id, 1234);
    const padded = `{"request":{"ping":{},"pad":"${'p'.repeat(FRAME_HEAD_BYTES - 30)}","id":12345678`;
    assert.equal(padded.length > FRAME_HEAD_BYTES, true);
    assert.equal(readFrameHead(padded).id, undefined);
  });

  it('reads nothing from frames that are not objects', () => {
    for (const f of ['', 'garbage', '[{"id":"1"}]', '"id"', '42', 'null']) assert.deepEqual(readFrameHead(f), { name: undefined, id: undefined, bare: false, bodyId: undefined }, f);
  });
});

describe('error replies carry the id a broken frame gives', () => {
  const err = samaError(Errors.invalidDataFormat);
  it('answers an id with no packet name under response with that id', () => {
    for (const frame of ['{"request":{"id":"5"}}', '{"id":"5"}', '{"request":"nope","id":"5"}']) {
      const d = decodeFrame(frame);
      assert.equal(d.ok, false);
      if (d.ok) continue;
      assert.deepEqual(JSON.parse(encodeError(d.head, err)), { response: { id: '5', error: { status: 400, message: 'Bad request - invalid data format' } } }, frame);
    }
  });

  it('answers invalid JSON with the id read from its start, under the bare packet key when bare', () => {
    const wrapped = decodeFrame('{"request":{"id":"8","message_list":{"cid":');
    assert.equal(wrapped.ok, false);
    if (!wrapped.ok) assert.deepEqual(JSON.parse(encodeError(wrapped.head, err)), { response: { id: '8', error: { status: 400, message: 'Bad request - invalid data format' } } });
    const bare = decodeFrame('{"message":{"id":"c9","cid":"abc",');
    assert.equal(bare.ok, false);
    if (!bare.ok) assert.deepEqual(JSON.parse(encodeError(bare.head, err)), { message: { id: 'c9', error: { status: 400, message: 'Bad request - invalid data format' } } });
    const none = decodeFrame('not json');
    assert.equal(none.ok, false);
    if (!none.ok) assert.deepEqual(JSON.parse(encodeError(none.head, err)), { response: { error: { status: 400, message: 'Bad request - invalid data format' } } });
  });
});
