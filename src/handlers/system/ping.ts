import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/** `ping` → `pong` (protocol.md §3.12); allowed before login. */
export const ping = defineHandler({
  kind: 'ping',
  auth: false,
  schema: RequestSchemas.ping,
  handle: () => Promise.resolve({ response: { pong: {} } }),
});
