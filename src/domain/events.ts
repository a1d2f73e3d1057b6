import type { SystemMessageEventWire } from '../protocol/events.js';
import type { ConversationWire } from '../protocol/models.js';

/**
 * A conversation event (protocol.md §5.6): a `system_message` whose `x` holds one key with the
 * conversation object; `_id` and `cid` are the conversation id, `from` the acting user, `t` now
 * (unix seconds, rounded to nearest).
 */
export function conversationEvent(kind: 'conversation_created' | 'conversation_updated' | 'conversation_kicked', conv: ConversationWire, from: string, nowMs: number): { system_message: SystemMessageEventWire } {
  return { system_message: { _id: conv._id, cid: conv._id, from, t: Math.round(nowMs / 1000), x: { [kind]: conv } } };
}
