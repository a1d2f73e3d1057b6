import type { ScheduledMessage as ScheduledMessageWire } from '../../protocol/models.js';
import type { Static } from '@sinclair/typebox';
import type { ScheduledMessage } from '../../store/store.js';

/** A schedule as its author sees it: the message fields as sent, `send_at` in ms, `created_at` ISO. */
export function scheduledWire(r: ScheduledMessage): Static<typeof ScheduledMessageWire> {
  const c = r.content;
  const out: Record<string, unknown> = { id: r.client_id, cid: r.cid };
  for (const key of ['body', 'attachments', 'x', 'replied_message_id', 'forwarded_message_id'] as const) if (c[key] !== undefined) out[key] = c[key];
  out.send_at = r.send_at;
  out.created_at = new Date(r.created_at).toISOString();
  return out as Static<typeof ScheduledMessageWire>;
}
