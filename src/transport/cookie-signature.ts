import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signed-cookie format SAMA's clients and servers share (protocol.md §10.2):
 * `s:` + value + `.` + base64(HMAC-SHA256(value, secret)) without padding, URL-encoded.
 */
export function signCookieValue(value: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${value}.${mac}`);
}

/** The value inside a signed cookie, or undefined when the signature does not match. */
export function unsignCookieValue(raw: string, secret: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('s:')) return undefined;
  const dot = decoded.lastIndexOf('.');
  if (dot < 2) return undefined;
  const value = decoded.slice(2, dot);
  const given = Buffer.from(decoded.slice(dot + 1));
  const expected = Buffer.from(createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, ''));
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : undefined;
}
