import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_tone` (protocol.md §3.6): `{message}` — `body` rewritten in the tone asked for by the
 * configured AI provider. No conversation is involved. Without a provider: 403 naming the
 * settings; see domain/assistant.ts.
 */
export const messageTone = defineHandler({
  kind: 'message_tone',
  auth: true,
  schema: RequestSchemas.message_tone,
  async handle(input, { deps, session, now }) {
    return { response: { message: await deps.assistant.rewrite(session, input.body, input.tone, now) } };
  },
});
