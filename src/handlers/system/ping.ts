import { Type } from '@sinclair/typebox';
import { defineHandler } from '../define.js';

/** `ping` → `pong` (protocol.md §3.12); allowed before login. */
export const ping = defineHandler({
  kind: 'ping',
  auth: false,
  schema: Type.Any(),
  handle: () => Promise.resolve({ response: { pong: {} } }),
});
