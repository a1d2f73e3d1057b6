import { Errors } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `message_summary` (protocol.md §3.6): `{message}` — a summary of what the caller can see of the
 * conversation in the period (`last-day`, `last-7-days`) or of their unread messages (`unreads`:
 * others' messages after their read marker). Written by the configured AI provider, or extracted
 * locally when there is none; see domain/assistant.ts.
 */
export const messageSummary = defineHandler({
  kind: 'message_summary',
  auth: true,
  schema: RequestSchemas.message_summary,
  errors: { fields: { cid: Errors.cidRequired } },
  async handle(input, { deps, session, now }) {
    return { response: { message: await deps.assistant.summarize(session, input.cid, input.filter, now) } };
  },
});
