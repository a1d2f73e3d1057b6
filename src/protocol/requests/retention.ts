import { Type } from '@sinclair/typebox';
import { IdString } from '../schemas.js';

/** Longest retention period accepted, seconds (100 years). */
export const MAX_RETENTION_SECONDS = 3_153_600_000;

/**
 * `parley_conversation_retention` (docs/protocol-extensions.md, Retention): reads a
 * conversation's retention period, or with `seconds` sets it (an integer) or clears it (null).
 */
export const ConversationRetentionRequest = Type.Object(
  {
    cid: IdString,
    seconds: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_RETENTION_SECONDS }), Type.Null()], { description: 'Seconds a message is kept after it was sent; null clears the conversation\'s own period. Absent: read only.' })),
  },
  { additionalProperties: false },
);
