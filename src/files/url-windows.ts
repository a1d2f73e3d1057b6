/**
 * Download URLs are signed for a whole time window rather than for "now": every URL issued in
 * the same window is byte-identical, so a client that renders the same avatar a hundred times
 * fetches it once. The window is a quarter of the lifetime, between one minute and one hour;
 * a URL stays valid for at least `ttlSeconds` after it is issued and at most one window longer.
 */
export function downloadWindow(ttlSeconds: number, now: number): { signedAt: number; expiresAt: number } {
  const windowMs = Math.min(3_600_000, Math.max(60_000, Math.floor((ttlSeconds * 1000) / 4)));
  const signedAt = Math.floor(now / windowMs) * windowMs;
  return { signedAt, expiresAt: signedAt + windowMs + ttlSeconds * 1000 };
}
