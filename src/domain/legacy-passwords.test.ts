import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSamaHash, isSamaHash, samaDigest, verifySamaHash } from './legacy-passwords.js';
import { createPasswordHasher } from './passwords.js';

// Worked out independently (Python's hashlib, 20 rounds over password + salt, then over each hex digest).
const SALT = '2RqzmzxRRRQYNcDNk7e7';
const DIGEST = '923d40576bce0c00eb0d2e023a7565ab35e3076bbe1a8af73ee1bf74ba1cda4dbce8dfb0da0825d051484219703f33d409ecf3e79840a1381da201261d09d833';

describe('SAMA password hashes', () => {
  it('computes SAMA digest: password then salt, 20 rounds of SHA-512 over the previous hex', () => {
    assert.equal(samaDigest('correct horse', SALT), DIGEST);
    assert.notEqual(samaDigest(SALT, 'correct horse'), DIGEST);
  });

  it('verifies the right password only, and refuses malformed stored values', () => {
    const encoded = encodeSamaHash(SALT, DIGEST.toUpperCase()) ?? '';
    assert.equal(encoded, `sama-sha512x20$${SALT}$${DIGEST}`);
    assert.equal(isSamaHash(encoded), true);
    assert.equal(verifySamaHash(encoded, 'correct horse'), true);
    assert.equal(verifySamaHash(encoded, 'correct horsE'), false);
    assert.equal(verifySamaHash(encoded, ''), false);
    assert.equal(verifySamaHash(`sama-sha512x20$${SALT}$${DIGEST.slice(2)}`, 'correct horse'), false);
    assert.equal(verifySamaHash(`sama-sha512x20$${DIGEST}`, 'correct horse'), false);
    assert.equal(encodeSamaHash(SALT, 'abc'), undefined);
  });

  it('keeps a salt containing the separator intact', () => {
    const salt = 'a$b$c';
    const encoded = encodeSamaHash(salt, samaDigest('pw', salt)) ?? '';
    assert.equal(verifySamaHash(encoded, 'pw'), true);
  });

  it('is accepted by the password hasher, which asks for it to be replaced', async () => {
    const hasher = createPasswordHasher({ memoryKib: 1024, passes: 1 });
    const encoded = encodeSamaHash(SALT, DIGEST) ?? '';
    assert.equal(await hasher.verify(encoded, 'correct horse'), true);
    assert.equal(await hasher.verify(encoded, 'wrong'), false);
    assert.equal(hasher.needsRehash(encoded), true);
    const fresh = await hasher.hash('correct horse');
    assert.equal(hasher.needsRehash(fresh), false);
    assert.equal(await hasher.verify(fresh, 'correct horse'), true);
  });
});
