import type { Logger } from 'pino';
import { Errors, SamaError, samaError } from '../protocol/errors.js';
import type { HandlerFailureKind, ScriptSandbox } from '../sandbox/sandbox.js';
import type { ConversationHandlerRecord, ConversationHandlerStore, UserRecord } from '../store/store.js';
import { publicUser } from './users.js';

/** Message content as stored: body and attachments (either may be absent). */
export interface MessageContent {
  readonly body?: string;
  readonly attachments?: readonly Record<string, unknown>[];
}

/** What a conversation handler made of a message that it let through. */
export interface HandledMessage {
  /** The content to store: the sender's, or the handler's replacement. */
  readonly content: MessageContent;
  /** `ask.modified`: the stored content when the handler replaced it, else null. */
  readonly modified: MessageContent | null;
  /** Content of a reply from the bot account, to store and deliver after the message. */
  readonly botReply: MessageContent | null;
}

/** The limits stored messages have anyway (message schema, MESSAGE_MAX_ATTACHMENTS_BYTES). */
export interface ContentLimits {
  readonly maxBodyChars: number;
  readonly maxAttachmentsBytes: number;
}

/** Attachment fields a handler may set (protocol.md §8), each with its check. */
const ATTACHMENT_FIELDS: Readonly<Record<string, (v: unknown) => boolean>> = {
  file_url: (v) => typeof v === 'string' && v.length <= 4096,
  file_blur_hash: (v) => typeof v === 'string' && v.length <= 255,
  file_content_type: (v) => typeof v === 'string' && v.length <= 255,
  file_size: (v) => typeof v === 'number' && v >= 0 && v <= 104857601,
  file_width: (v) => typeof v === 'number' && v >= 0 && v <= 10000,
  file_height: (v) => typeof v === 'number' && v >= 0 && v <= 10000,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The error a sender gets when the handler could not decide (docs/decisions.md "Conversation handlers"). */
function failedError(kind: HandlerFailureKind): SamaError {
  return kind === 'unavailable' ? samaError(Errors.handlerUnavailable) : new SamaError(422, `Message refused: the conversation handler failed (${kind}).`);
}

/**
 * Runs the conversation's handler on a message that passed the access, block and reply checks,
 * before it is stored (protocol.md §8), and returns what to store. Throws the sender's error
 * when the handler rejects the message (422 with its text), returns invalid content (422
 * `Incorrect type of message body.` / `Invalid attachment fields.`), or fails: a script that
 * throws, times out, runs out of memory or cannot run refuses the message, and the reason is
 * recorded on the handler for its owner (get_conversation_handler) and logged.
 */
export async function runConversationHandler(
  deps: { readonly sandbox: ScriptSandbox; readonly handlers: ConversationHandlerStore; readonly log: Logger },
  handler: ConversationHandlerRecord,
  message: Record<string, unknown>,
  sender: UserRecord,
  limits: ContentLimits,
  now: number,
): Promise<HandledMessage> {
  const original: MessageContent = content(message.body, message.attachments);
  const outcome = await deps.sandbox.run({ source: handler.content, message, user: { ...publicUser(sender) } });
  if (!outcome.ok) {
    const reason = `${outcome.failure}: ${outcome.detail}`.slice(0, 1000);
    deps.log.info({ cid: handler.conversation_id, failure: outcome.failure, detail: outcome.detail, ms: outcome.ms }, 'conversation handler failed; message refused');
    try {
      await deps.handlers.recordError(handler.organization_id, handler.conversation_id, handler.updated_at, reason, now);
    } catch (err) {
      deps.log.warn({ err, cid: handler.conversation_id }, 'could not record the conversation handler failure');
    }
    throw failedError(outcome.failure);
  }
  const verdict = outcome.verdict;
  switch (verdict.kind) {
    case 'accept':
      return { content: original, modified: null, botReply: null };
    case 'reject': {
      const text = typeof verdict.reason === 'string' && verdict.reason.length > 0 ? verdict.reason.slice(0, 1000) : Errors.messageBlockedByRules.message;
      throw new SamaError(422, text);
    }
    case 'resolve': {
      const given = isObject(verdict.result) && isObject(verdict.result.message) ? verdict.result.message : {};
      const reply = checkedContent(given, limits);
      // RESOLVE() with nothing to say lets the message through unchanged (protocol.md §8).
      if (reply.body === undefined && reply.attachments === undefined) return { content: original, modified: null, botReply: null };
      if (!verdict.replaceBody) return { content: original, modified: null, botReply: reply };
      // Replacing: the handler's fields win; a field it left out keeps the sender's value.
      const replaced = content(reply.body ?? original.body, reply.attachments ?? original.attachments);
      return { content: replaced, modified: replaced, botReply: null };
    }
  }
}

/** `{body?, attachments?}` without absent fields. */
function content(body: unknown, attachments: unknown): MessageContent {
  return { ...(typeof body === 'string' ? { body } : {}), ...(Array.isArray(attachments) ? { attachments: attachments as Record<string, unknown>[] } : {}) };
}

/**
 * The handler's `{body, attachments}` checked as SAMA checks it, plus the limits every stored
 * message has. An empty body or attachment list counts as absent.
 */
function checkedContent(given: Record<string, unknown>, limits: ContentLimits): MessageContent {
  const { body, attachments } = given;
  if (body !== undefined && body !== null && typeof body !== 'string') throw samaError(Errors.incorrectBodyType);
  if (typeof body === 'string' && body.length > limits.maxBodyChars) throw samaError(Errors.payloadTooLarge);
  if (attachments !== undefined && attachments !== null) {
    if (!Array.isArray(attachments) || attachments.length > 100) throw samaError(Errors.invalidAttachmentFields);
    for (const a of attachments) {
      if (!isObject(a) || !Object.entries(a).every(([k, v]) => ATTACHMENT_FIELDS[k]?.(v) === true)) throw samaError(Errors.invalidAttachmentFields);
    }
    if (Buffer.byteLength(JSON.stringify(attachments)) > limits.maxAttachmentsBytes) throw samaError(Errors.payloadTooLarge);
  }
  return content(typeof body === 'string' && body.length > 0 ? body : undefined, Array.isArray(attachments) && attachments.length > 0 ? attachments : undefined);
}
