import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

/**
 * A client device doing end-to-end encryption with real key material, for tests: an Ed25519
 * identity signing key and an X25519 identity key (sent together as `identity_key`), an X25519
 * signed pre-key with its Ed25519 signature (`signed_key`), and X25519 one-time pre-keys. Sending
 * is X3DH-like and OMEMO-shaped: the text is sealed once with a fresh content key (AES-256-GCM,
 * the message `body`), and that key is sealed for each recipient device with a key agreed from
 * its bundle (`x.header[<its identity key>]`). The server only ever relays public keys and
 * ciphertext.
 */

type Pair = { publicKey: KeyObject; privateKey: KeyObject };

/** Raw public key, base64url (43 characters for a 32-byte key). */
const raw = (k: KeyObject): string => (k.export({ format: 'jwk' }) as { x: string }).x;
const x25519 = (x: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
const ed25519 = (x: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
const dh = (privateKey: KeyObject, publicKey: KeyObject): Buffer => diffieHellman({ privateKey, publicKey });
const derive = (parts: Buffer[]): Buffer => Buffer.from(hkdfSync('sha256', Buffer.concat(parts), Buffer.alloc(32), 'parley-test-x3dh', 32));

function seal(key: Buffer, plain: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
}

function open(key: Buffer, sealed: string): Buffer {
  const b = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAuthTag(b.subarray(b.length - 16));
  return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
}

/** A bundle as `request_keys` returns it. */
export interface WireBundle {
  identity_key: string;
  signed_key: string;
  one_time_pre_key?: string;
}

/** One recipient device's part of a message header. */
interface HeaderEntry {
  ik: string;
  ek: string;
  opk?: string;
  key: string;
}

export class TestDevice {
  private readonly signing: Pair = generateKeyPairSync('ed25519');
  private readonly identity: Pair = generateKeyPairSync('x25519');
  private readonly signedPreKey: Pair = generateKeyPairSync('x25519');
  private readonly preKeys = new Map<string, Pair>();

  /** `<Ed25519 public>.<X25519 public>`, base64url. */
  get identityKey(): string {
    return `${raw(this.signing.publicKey)}.${raw(this.identity.publicKey)}`;
  }

  /** `<X25519 signed pre-key>.<Ed25519 signature of its raw bytes>`, base64url. */
  get signedKey(): string {
    const spk = Buffer.from(raw(this.signedPreKey.publicKey), 'base64url');
    return `${spk.toString('base64url')}.${sign(null, spk, this.signing.privateKey).toString('base64url')}`;
  }

  /** Makes `n` new one-time pre-keys and returns their public halves in order. */
  newPreKeys(n: number): string[] {
    return Array.from({ length: n }, () => {
      const pair = generateKeyPairSync('x25519');
      this.preKeys.set(raw(pair.publicKey), pair);
      return raw(pair.publicKey);
    });
  }

  /** A `device_register` body: `n` fresh one-time pre-keys, named like vodozemac's (object) or listed (array). */
  register(n: number, form: 'object' | 'array' = 'object'): { identity_key: string; signed_key: string; one_time_pre_keys: Record<string, string> | string[] } {
    const keys = this.newPreKeys(n);
    const one_time_pre_keys = form === 'array' ? keys : Object.fromEntries(keys.map((k, i) => [`AAAAA${i.toString(36).padStart(3, '0')}`, k]));
    return { identity_key: this.identityKey, signed_key: this.signedKey, one_time_pre_keys };
  }

  /** Checks a fetched bundle: its signed pre-key must carry a valid signature of its identity key. */
  static verified(b: WireBundle): { ik: KeyObject; spk: KeyObject; opk?: KeyObject } {
    const [signingX, dhX] = b.identity_key.split('.');
    const [spkX, sig] = b.signed_key.split('.');
    if (!signingX || !dhX || !spkX || !sig) throw new Error('malformed bundle');
    if (!verify(null, Buffer.from(spkX, 'base64url'), ed25519(signingX), Buffer.from(sig, 'base64url'))) throw new Error('bad signed pre-key signature');
    return { ik: x25519(dhX), spk: x25519(spkX), ...(b.one_time_pre_key === undefined ? {} : { opk: x25519(b.one_time_pre_key) }) };
  }

  /** Encrypts `text` for these recipient bundles: the `message` fields `body` and `x`. */
  encryptFor(bundles: readonly WireBundle[], text: string): { body: string; x: { header: Record<string, HeaderEntry> } } {
    const content = randomBytes(32);
    const header: Record<string, HeaderEntry> = {};
    for (const b of bundles) {
      const { ik, spk, opk } = TestDevice.verified(b);
      const eph = generateKeyPairSync('x25519');
      const secret = derive([dh(this.identity.privateKey, spk), dh(eph.privateKey, ik), dh(eph.privateKey, spk), ...(opk ? [dh(eph.privateKey, opk)] : [])]);
      header[b.identity_key] = { ik: raw(this.identity.publicKey), ek: raw(eph.publicKey), ...(b.one_time_pre_key === undefined ? {} : { opk: b.one_time_pre_key }), key: seal(secret, content) };
    }
    return { body: seal(content, Buffer.from(text, 'utf8')), x: { header } };
  }

  /** Decrypts a received message; a one-time pre-key is used once and then forgotten. */
  decrypt(message: { body: string; x: { header: Record<string, HeaderEntry> } }): string {
    const h = message.x.header[this.identityKey];
    if (!h) throw new Error('message not encrypted for this device');
    const opk = h.opk === undefined ? undefined : this.preKeys.get(h.opk);
    if (h.opk !== undefined && !opk) throw new Error('one-time pre-key unknown or already used');
    const ek = x25519(h.ek);
    const secret = derive([dh(this.signedPreKey.privateKey, x25519(h.ik)), dh(this.identity.privateKey, ek), dh(this.signedPreKey.privateKey, ek), ...(opk ? [dh(opk.privateKey, ek)] : [])]);
    if (h.opk !== undefined) this.preKeys.delete(h.opk);
    return open(open(secret, h.key), message.body).toString('utf8');
  }
}
