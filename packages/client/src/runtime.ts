/**
 * What the client needs from its environment, typed loosely enough that a browser's globals,
 * Node 22's globals and Node 20 with the `ws` package all fit, and nothing more.
 */

/**
 * A WebSocket class with the browser's interface: `globalThis.WebSocket` (browsers, Node ≥ 22),
 * or `WebSocket` from the `ws` package on Node 20.
 */
export type WebSocketConstructor = new (url: string) => unknown;

/** The part of a WebSocket the client uses (the browser interface; `ws` implements it too). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `readyState` of an open socket (the same in every implementation). */
export const OPEN = 1;

/** Where the device id is kept between runs (`localStorage` in browsers). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The `fetch` function (global in browsers and Node ≥ 18). */
export type FetchLike = typeof fetch;

interface Globals {
  WebSocket?: WebSocketConstructor;
  localStorage?: StorageLike;
  process?: { versions?: { node?: string } };
  crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array };
}

const globals = globalThis as unknown as Globals;

/** The global WebSocket class, if there is one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return globals.WebSocket;
}

/**
 * True where the platform keeps cookies itself: browsers, in pages and workers alike. Node.js
 * (and runtimes that present themselves as it) keeps none; the client keeps the refresh cookie.
 */
export function inBrowser(): boolean {
  return globals.process?.versions?.node === undefined;
}

/** `localStorage` when it exists and works (it throws in some privacy modes). */
export function defaultStorage(): StorageLike | undefined {
  try {
    const s = globals.localStorage;
    if (s === undefined) return undefined;
    s.getItem('parley.probe');
    return s;
  } catch {
    return undefined;
  }
}

/** A random id: a UUID where the platform makes one, else 128 random bits in hex. */
export function randomId(): string {
  const c = globals.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const DEVICE_KEY = 'parley.device_id';

/**
 * A device id for this installation: the one kept in `storage`, or a new random one (kept there
 * when possible). Without storage every client gets a fresh id, which the server treats as a new
 * device.
 */
export function persistentDeviceId(storage: StorageLike | undefined): string {
  try {
    const known = storage?.getItem(DEVICE_KEY);
    if (known) return known;
    const id = randomId();
    storage?.setItem(DEVICE_KEY, id);
    return id;
  } catch {
    return randomId();
  }
}

/** The user id inside an access token (its `_id` claim), read without checking the signature. */
export function tokenUserId(token: string): string | undefined {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = JSON.parse(decodeBase64(b64)) as { _id?: unknown };
    return typeof json._id === 'string' ? json._id : undefined;
  } catch {
    return undefined;
  }
}

function decodeBase64(b64: string): string {
  const bin = (globalThis as unknown as { atob: (s: string) => string }).atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}
