import { conversationCreate } from './conversations/create.js';
import type { RegisteredHandler } from './define.js';
import { ping } from './system/ping.js';
import { connect } from './users/connect.js';
import { userCreate } from './users/create.js';
import { userLogin } from './users/login.js';

/**
 * The single registry of packet handlers, used by the WebSocket dispatcher and the HTTP API
 * alike. One line per packet.
 */
const ALL: readonly RegisteredHandler[] = [
  ping,
  userCreate,
  userLogin,
  connect,
  conversationCreate,
];

/** Packet name → handler. Duplicate names are a programming error caught at start-up. */
export const HANDLERS: ReadonlyMap<string, RegisteredHandler> = (() => {
  const map = new Map<string, RegisteredHandler>();
  for (const h of ALL) {
    if (map.has(h.kind)) throw new Error(`duplicate handler for packet "${h.kind}"`);
    map.set(h.kind, h);
  }
  return map;
})();
