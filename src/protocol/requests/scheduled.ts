import { Type } from '@sinclair/typebox';
import { IdString } from '../schemas.js';
import { MessageContentFields } from './messages.js';

/** The client's message id: names the schedule, and becomes the sent message's `id` (`ask.mid`). */
const ClientMessageId = Type.String({ minLength: 1, maxLength: 255, description: 'Client message id: names the schedule and becomes the message\'s `id`; scheduling it again answers with the stored schedule.' });

/**
 * `parley_message_schedule` (docs/protocol-extensions.md): a `message` (protocol.md §3.6) to be
 * sent at `send_at` (epoch ms). `id` is required here: it is how the schedule is listed and
 * cancelled, and it makes the send idempotent.
 */
export const MessageScheduleRequest = Type.Object(
  {
    id: ClientMessageId,
    ...MessageContentFields,
    send_at: Type.Integer({ description: 'When to send, epoch ms: in the future, at most SCHEDULED_MESSAGES_MAX_AHEAD_S ahead.' }),
  },
  { additionalProperties: false },
);

/** `parley_scheduled_list`: the caller's pending schedules by send time, optionally of one conversation. */
export const ScheduledListRequest = Type.Object(
  {
    cid: Type.Optional(IdString),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Page size; 50 when absent.' })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'The `next` cursor of the previous page.' })),
  },
  { additionalProperties: false },
);

/** `parley_scheduled_cancel`: removes one of the caller's pending schedules by its `id`. */
export const ScheduledCancelRequest = Type.Object({ id: ClientMessageId }, { additionalProperties: false });
