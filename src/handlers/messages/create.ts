import { publicConversation, recipientsOf } from '../../domain/conversations.js';
import { runConversationHandler, type HandledMessage, type MessageContent } from '../../domain/conversation-handlers.js';
import type { Delivery } from '../../domain/delivery.js';
import { inboxFor } from '../../domain/encryption.js';
import { assertMayPost, assertMessageContent } from '../../domain/message-checks.js';
import { conversationEvent } from '../../domain/events.js';
import { messageTime, messageWire, placeOf } from '../../domain/messages.js';
import { chatPushPayload, outboxRows } from '../../domain/push.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { RequestSchemas, type Requests } from '../../protocol/requests/index.js';
import type { Session } from '../../domain/session.js';
import type { PushOutboxRecord } from '../../store/push.js';
import type { InboxEntry } from '../../store/encryption.js';
import type { ConversationRecord, InsertGuard, MessageRecord, SendView } from '../../store/store.js';
import { defineHandler, type HandlerDeps } from '../define.js';

/**
 * `message` (protocol.md §3.6, §4): stores the message (group-committed), acknowledges with
 * `ask` only after commit, then delivers it to every device of every recipient except the sending
 * one, with op-log rows for recipients who have no device connected. Requests are serialised per
 * conversation up to queuing the write (then the next one may start), and acked and delivered in
 * that order, so everyone sees one order: the commit order. A retry of the same client `id`
 * gets the original `server_mid` and `t` and is not delivered again.
 */
export const messageCreate = defineHandler({
  kind: 'message',
  auth: true,
  schema: RequestSchemas.message,
  errors: { fields: { id: Errors.incorrectMessageId, cid: Errors.cidRequired, body: Errors.bodyOrAttachmentsRequired, attachments: Errors.bodyOrAttachmentsRequired } },
  orderingKey: (input) => input.cid,
  pipelined: true,
  async handle(input, { deps, session, now, sequenced }) {
    const { store } = deps;
    const { orgId, userId } = session;
    assertMessageContent(input, deps.config);
    const hiddenFor = input.deleted_for ?? [];
    // Everything the checks read about the conversation comes in one read: in a cluster that is
    // one PostgreSQL statement instead of four round trips, or none when the node's cache has the
    // view (docs/benchmarks.md); on a single node these are cache lookups. A cached view may be
    // outdated: the insert then refuses the message and has it checked again on a fresh read,
    // while the conversation's later messages wait (InsertGuard).
    let checked = await checkMessage(deps, session, input, now, await store.conversations.sendView(orgId, input.cid, userId, true));
    const guardOf = (c: CheckedMessage): InsertGuard | undefined =>
      c.viewVersion === undefined
        ? undefined
        : {
            viewVersion: c.viewVersion,
            recheck: async () => {
              checked = await checkMessage(deps, session, input, now, await store.conversations.sendView(orgId, input.cid, userId));
              const guard = guardOf(checked);
              return { record: checked.draft, hiddenFor, pushes: checked.pushes, ...(checked.inbox ? { inbox: checked.inbox } : {}), ...(guard ? { guard } : {}) };
            },
          };
    const inserting = store.messages.insert(checked.draft, hiddenFor, checked.pushes, checked.inbox, guardOf(checked));
    // The write is queued behind earlier ones: the conversation's next message may be handled
    // now and join the same group commit; replies and deliveries still leave in this order. A
    // bot reply must come right after its message, so then the next one waits for both.
    const waitsForBot = checked.bot !== undefined;
    if (!waitsForBot) sequenced?.();
    const inserted = await inserting;
    // From here on, `checked` is what was stored (the last recheck's, if there was one).
    const { conv, recipients, handled, bot, deliver } = checked;
    // A retried message (duplicate) got its bot reply the first time.
    const botInserted = bot && !inserted.duplicate ? store.messages.insert(bot) : undefined;
    // (A recheck may have changed whether there is a bot reply; the next message was let go
    // exactly once either way.)
    if (waitsForBot) sequenced?.();
    const botStored = await botInserted;
    const { record } = inserted;
    const ask = { ask: { mid: input.id, server_mid: record._id, t: record.t, modified: handled?.modified ?? null, bot_message: botStored ? messageWire(botStored.record) : null } };
    if (inserted.duplicate) return { packet: ask };
    const except = { userId, deviceId: session.deviceId };
    // In a cluster, every node hands the conversation's messages over in store order (place).
    const place = placeOf(inserted);
    deliver.push({ orgId, to: recipients, packet: { message: messageWire(record, conv.type) }, exceptDevice: except, offline: 'oplog', ...(place ? { place, messagePush: { actorId: userId, pushed: checked.offline } } : {}) });
    if (botStored) {
      // The sending device has the reply in its ask; everyone else gets it as a message.
      const botPlace = placeOf(botStored);
      deliver.push({ orgId, to: recipients, packet: { message: messageWire(botStored.record, conv.type) }, exceptDevice: except, offline: 'oplog', ...(botPlace ? { place: botPlace } : {}) });
    }
    return { packet: ask, deliver };
  },
});

type MessageInput = Requests['message'];

/** A message that passed its checks against one view of its conversation, ready to store. */
interface CheckedMessage {
  readonly conv: ConversationRecord;
  /** SendView.version of the view checked against (undefined where views cannot go stale). */
  readonly viewVersion: number | undefined;
  readonly draft: MessageRecord;
  readonly recipients: string[];
  /** Recipients queued a push with the message. */
  readonly offline: string[];
  readonly pushes: PushOutboxRecord[];
  readonly inbox: InboxEntry | undefined;
  readonly handled: HandledMessage | undefined;
  readonly bot: MessageRecord | undefined;
  /** Deliveries besides the message's own (a re-added private chat side's conversation event). */
  readonly deliver: Delivery[];
}

/**
 * The checks of `message` against `view` (protocol.md §3.6): membership (re-adding the sides of
 * a private chat one had left), blocks, channel rights and the replied message; then the
 * conversation's handler, file sharing, the pushes for recipients not connected and the
 * encrypted inbox rows. Throws the error the message gets.
 */
async function checkMessage(deps: HandlerDeps, session: Session, input: MessageInput, now: number, view: SendView | undefined): Promise<CheckedMessage> {
  const { store, config } = deps;
  const { orgId, userId, deviceId } = session;
  if (!view) throw samaError(Errors.conversationNotFound);
  const { conversation: conv, participants: roster, handler: script } = view;
  const deliver: Delivery[] = [];
  let membership = roster.find((p) => p.user_id === userId);
  if (!membership && conv.type === 'u' && (conv.owner_id === userId || conv.opponent_id === userId)) {
    // A private chat where one side had left: both sides become participants again, and the
    // re-added side hears about the conversation as a plain system_message (Parley note, §3.6).
    const sides = [conv.owner_id, ...(conv.opponent_id ? [conv.opponent_id] : [])];
    const readded = await store.participants.add(orgId, conv._id, sides.map((id) => ({ user_id: id, role: id === conv.owner_id ? 'owner' : null })), now);
    membership = await store.participants.get(conv._id, userId);
    if (readded.length > 0 && config.conversationNotificationsEnabled) {
      deliver.push({ orgId, to: readded, packet: conversationEvent('conversation_created', publicConversation(conv), userId, now), exceptDevice: { userId, deviceId }, offline: 'oplog' });
    }
  }
  if (!membership) throw samaError(Errors.forbidden);
  await assertMayPost(store, config, view, userId, membership, input);
  // The conversation's handler (read above with the checks) sees the message after every check
  // and before it is stored; it may reject it, replace its content or add a bot reply
  // (protocol.md §8).
  let handled: HandledMessage | undefined;
  if (script) {
    const senderRecord = await store.users.byId(orgId, userId);
    if (!senderRecord) throw samaError(Errors.forbidden);
    const { id: _clientId, ...message } = input;
    handled = await runConversationHandler({ sandbox: deps.sandbox, handlers: store.conversationHandlers, log: deps.log }, script, message, senderRecord, { maxBodyChars: 65536, maxAttachmentsBytes: config.messageMaxAttachmentsBytes }, now);
  }
  const body = handled ? handled.content.body : input.body;
  const attachments = handled ? handled.content.attachments : input.attachments;
  // Files named in attachments become visible to the conversation's participants; only files
  // the sender may see are shared (protocol.md §9, Parley note).
  const fileIds = (attachments ?? []).flatMap((a) => (typeof a.file_id === 'string' ? [a.file_id] : []));
  const shared = fileIds.length > 0 ? await deps.files.share(orgId, userId, fileIds, conv._id, now) : [];
  const draft: MessageRecord = {
    _id: newId(),
    organization_id: orgId,
    cid: conv._id,
    from: userId,
    client_id: input.id ?? null,
    body: body ?? null,
    attachments: attachments ?? null,
    x: input.x ?? null,
    replied_message_id: input.replied_message_id ?? null,
    forwarded_message_id: input.forwarded_message_id ?? null,
    encrypted_message_type: input.encrypted_message_type ?? null,
    t: messageTime(now),
    created_at: now,
    updated_at: now,
  };
  const recipients = recipientsOf(conv, roster);
  // Recipients with no connected device, or a backgrounded one, get a push (protocol.md §4.4),
  // queued durably with the message itself.
  const offline = recipients.filter((id) => id !== userId && deps.sessions.needsPush(orgId, id));
  const sender = offline.length > 0 ? await store.users.byId(orgId, userId) : undefined;
  const first = shared.find((f) => f.object_id === fileIds[0]);
  const pushes = sender ? outboxRows(orgId, offline, chatPushPayload(sender.login, conv, draft, first && deps.files.urlOf(first, now)), now) : [];
  // Encrypted conversations: one inbox row per recipient device, stored with the message (§3.11).
  const inbox = await inboxFor(store, conv, recipients, { userId, deviceId }, input.deleted_for ?? [], now, config.encryptionMessageExpiredIn * 1000);
  const bot = handled?.botReply ? await botDraft(deps, conv, handled.botReply, now) : undefined;
  return { conv, viewVersion: view.version, draft, recipients, offline, pushes, inbox, handled, bot, deliver };
}

/**
 * A handler's bot reply as a message from the CHAT_BOT_LOGIN account (protocol.md §8), or
 * undefined when that account is not configured or not in the conversation's organization.
 */
async function botDraft(deps: HandlerDeps, conv: ConversationRecord, reply: MessageContent, now: number): Promise<MessageRecord | undefined> {
  const login = deps.config.chatBotLogin;
  const bot = login === undefined ? undefined : await deps.store.users.byLogin(conv.organization_id, login);
  if (!bot) {
    deps.log.debug({ cid: conv._id }, 'conversation handler bot reply dropped: no CHAT_BOT_LOGIN account in this organization');
    return undefined;
  }
  return {
    _id: newId(),
    organization_id: conv.organization_id,
    cid: conv._id,
    from: bot._id,
    client_id: null,
    body: reply.body ?? null,
    attachments: reply.attachments ?? null,
    x: null,
    replied_message_id: null,
    forwarded_message_id: null,
    encrypted_message_type: null,
    t: messageTime(now),
    created_at: now,
    updated_at: now,
  };
}
