import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalWebPushKey, webPushKeys } from './push.js';

const point = createECDH('prime256v1');
point.generateKeys();
const p256dh = point.getPublicKey();
const auth = randomBytes(16);

describe('Web Push browser keys', () => {
  it('accepts base64url and standard base64 (padded or not) and gives base64url without padding', () => {
    for (const encode of [(b: Buffer) => b.toString('base64url'), (b: Buffer) => b.toString('base64'), (b: Buffer) => b.toString('base64').replace(/=+$/, '')]) {
      assert.deepEqual(webPushKeys(encode(auth), encode(p256dh)), { auth: auth.toString('base64url'), p256dh: p256dh.toString('base64url') });
    }
  });

  it('keeps checking the decoded sizes and the point form in either encoding', () => {
    for (const encode of [(b: Buffer) => b.toString('base64url'), (b: Buffer) => b.toString('base64')]) {
      assert.equal(webPushKeys(encode(randomBytes(15)), encode(p256dh)), undefined);
      assert.equal(webPushKeys(encode(auth), encode(p256dh.subarray(1))), undefined);
      assert.equal(webPushKeys(encode(auth), encode(Buffer.concat([Buffer.from([0x02]), p256dh.subarray(1)]))), undefined);
    }
  });

  it('refuses text that mixes the two alphabets or is not base64 at all', () => {
    assert.equal(canonicalWebPushKey('ab+c-d'), undefined);
    assert.equal(canonicalWebPushKey('ab/c_d'), undefined);
    assert.equal(canonicalWebPushKey('not base64!'), undefined);
    assert.equal(canonicalWebPushKey(''), undefined);
    assert.equal(canonicalWebPushKey('+/+/'), '-_-_');
  });
});
