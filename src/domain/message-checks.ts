/**
 * The checks a message passes before it is stored, shared by `message` (handlers/messages/
 * create.ts) and `parley_message_schedule`, which checks a message when it is scheduled and
 * sends it through `message` later.
 */
import type { Config } from '../config/config.js';
import { Errors, bareError, samaError } from '../protocol/errors.js';
import type { ParticipantRecord, SendView, Store } from '../store/store.js';
import { isAdmin } from './conversations.js';

/** What a message says, as far as these checks look at it. */
export interface MessageContentInput {
  readonly body?: string;
  readonly attachments?: readonly unknown[];
  readonly x?: unknown;
  readonly replied_message_id?: string;
}

/**
 * A body or attachments, and `x` and the attachment metadata within their caps: every stored
 * byte is read back by each message_list page that includes it (SAMA has no cap; Parley note in
 * docs/decisions.md). Needs no store read.
 */
export function assertMessageContent(input: MessageContentInput, config: Pick<Config, 'messageMaxXBytes' | 'messageMaxAttachmentsBytes'>): void {
  if (input.body === undefined && input.attachments === undefined) throw bareError('"value" must contain at least one of [body, attachments]');
  if (jsonBytes(input.x) > config.messageMaxXBytes || jsonBytes(input.attachments) > config.messageMaxAttachmentsBytes) throw samaError(Errors.payloadTooLarge);
}

/**
 * The checks after membership (the caller decides who counts as a member): a private chat whose
 * sides block each other, a channel the sender does not administer, and a replied message the
 * sender cannot see in this conversation are refused.
 */
export async function assertMayPost(store: Store, config: Pick<Config, 'conversationDisableChannelsLogic'>, view: SendView, userId: string, membership: ParticipantRecord | undefined, input: MessageContentInput): Promise<void> {
  const conv = view.conversation;
  if (view.blocked) throw samaError(Errors.blocked);
  if (conv.type === 'c' && !config.conversationDisableChannelsLogic && !isAdmin(conv, membership)) throw samaError(Errors.forbidden);
  if (input.replied_message_id !== undefined) {
    const replied = await store.messages.visibleTo(conv.organization_id, input.replied_message_id, userId);
    if (replied?.cid !== conv._id) throw samaError(Errors.incorrectRepliedMessageId);
  }
}

/** Size of a value as stored (JSON, UTF-8); 0 when absent. */
function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}
