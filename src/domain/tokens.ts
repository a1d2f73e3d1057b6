import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { TokenStore, TokenType, UserRecord } from '../store/store.js';

/** Who a valid token belongs to. */
export interface TokenOwner {
  readonly orgId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly type: TokenType;
}

export interface IssuedToken {
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** SHA-256 hex of a token: what the store keeps instead of the token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Access tokens are HS256 JWTs (payload as SAMA's: `_id`, `native_id`, `login`, `type`) that are
 * valid only while their signature, expiry **and** stored row all check out, so logout revokes
 * at once. Refresh tokens are opaque random strings, stored hashed. Each (user, device, type)
 * has one live token; issuing a new one replaces the old.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    private readonly store: TokenStore,
    secret: string,
    private readonly accessTtlSec: number,
    private readonly refreshTtlSec: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccess(user: UserRecord, deviceId: string, now: number): Promise<IssuedToken> {
    const expiresAt = now + this.accessTtlSec * 1000;
    const token = await new SignJWT({ _id: user._id, native_id: user._id, login: user.login, type: 'access', device_id: deviceId, jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(this.key);
    await this.store.put({ organization_id: user.organization_id, user_id: user._id, device_id: deviceId, type: 'access', token_hash: tokenHash(token), expires_at: expiresAt, created_at: now });
    return { token, expiresAt };
  }

  async issueRefresh(user: UserRecord, deviceId: string, now: number): Promise<IssuedToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.refreshTtlSec * 1000;
    await this.store.put({ organization_id: user.organization_id, user_id: user._id, device_id: deviceId, type: 'refresh', token_hash: tokenHash(token), expires_at: expiresAt, created_at: now });
    return { token, expiresAt };
  }

  /**
   * Resolves the owner of a live token of one of `types`, or undefined. When `deviceId` is given
   * the token must have been issued for that device.
   */
  async verify(token: string, types: readonly TokenType[], now: number, deviceId?: string): Promise<TokenOwner | undefined> {
    const h = tokenHash(token);
    for (const type of types) {
      if (type === 'access' && !(await this.signatureValid(token, now))) continue;
      const row = await this.store.find(type, h, now);
      if (row && (deviceId === undefined || row.device_id === deviceId)) {
        return { orgId: row.organization_id, userId: row.user_id, deviceId: row.device_id, type };
      }
    }
    return undefined;
  }

  private async signatureValid(token: string, now: number): Promise<boolean> {
    try {
      await jwtVerify(token, this.key, { algorithms: ['HS256'], currentDate: new Date(now) });
      return true;
    } catch {
      return false;
    }
  }

  /** Revokes every token of one device. */
  revokeDevice(userId: string, deviceId: string): Promise<void> {
    return this.store.deleteDevice(userId, deviceId);
  }

  /** Revokes every token of a user, or of all the user's devices but `exceptDeviceId`. */
  revokeUser(userId: string, exceptDeviceId?: string): Promise<void> {
    return this.store.deleteUser(userId, exceptDeviceId);
  }
}
