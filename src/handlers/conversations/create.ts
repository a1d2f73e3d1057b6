import { publicConversation } from '../../domain/conversations.js';
import type { Delivery } from '../../domain/delivery.js';
import { conversationEvent } from '../../domain/events.js';
import { conversationPushPayload } from '../../domain/push.js';
import { displayName } from '../../domain/users.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { newId } from '../../protocol/ids.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { ConflictError, type ConversationRecord, type ConversationType } from '../../store/store.js';
import { defineHandler, type AuthedContext } from '../define.js';

const named = (input: Readonly<Record<string, unknown>>): boolean => input.type === 'g' || input.type === 'c';

/** Finds or creates the private conversation between the caller and `opponentId`. */
async function privateConversation(ctx: AuthedContext, opponentId: string, encrypted: boolean): Promise<{ conv: ConversationRecord; created: boolean }> {
  const { store } = ctx.deps;
  const { orgId, userId } = ctx.session;
  const existing = await store.conversations.privateBetween(orgId, userId, opponentId, encrypted);
  if (existing) {
    // Both sides become participants again if one had left (protocol.md §3.4).
    await store.participants.add(orgId, existing._id, [{ user_id: existing.owner_id, role: 'owner' }, ...(existing.opponent_id ? [{ user_id: existing.opponent_id, role: null }] : [])], ctx.now);
    return { conv: (await store.conversations.byId(orgId, existing._id)) ?? existing, created: false };
  }
  const fields = { _id: newId(), organization_id: orgId, type: 'u' as const, name: null, description: null, owner_id: userId, opponent_id: opponentId, image_object: null, is_encrypted: encrypted, created_at: ctx.now };
  try {
    const conv = await store.conversations.create(fields, [{ user_id: userId, role: 'owner' }, { user_id: opponentId, role: null }]);
    return { conv, created: true };
  } catch (err) {
    // A concurrent create of the same pair won: return that one.
    const winner = err instanceof ConflictError ? await store.conversations.privateBetween(orgId, userId, opponentId, encrypted) : undefined;
    if (!winner) throw err;
    return { conv: winner, created: false };
  }
}

/**
 * `conversation_create` (protocol.md §3.4, §5.6): private (`u`, one per user pair and encryption
 * flag: a second create returns the first), group (`g`) or channel (`c`). The caller is the
 * owner. Participants outside the organization are dropped.
 */
export const conversationCreate = defineHandler({
  kind: 'conversation_create',
  auth: true,
  schema: RequestSchemas.conversation_create,
  // SAMA checks the fields in this order and answers each one's failures with its own error.
  errors: {
    fields: {
      type: { missing: Errors.conversationTypeMissed, invalid: Errors.incorrectType },
      name: (input) => (named(input) ? Errors.conversationNameMissing : undefined),
      participants: { missing: Errors.selectAtLeastOneUser, invalid: Errors.selectAtLeastOneUser, tooMany: Errors.tooManyUsersGroup },
    },
    requiredWhen: { name: named },
  },
  async handle(input, ctx) {
    const { store, config } = ctx.deps;
    const { orgId, userId, deviceId } = ctx.session;
    const type: ConversationType = input.type;
    if (type !== 'u' && (input.name === undefined || input.name.trim() === '')) throw samaError(Errors.conversationNameMissing);
    const requested = input.participants ?? [];
    if (type !== 'c' && requested.length === 0) throw samaError(Errors.selectAtLeastOneUser);
    if (requested.length > config.conversationMaxParticipants) throw samaError(Errors.tooManyUsersGroup);
    const known = new Set((await store.users.byIds(orgId, requested)).map((u) => u._id));
    const participants = [...new Set(requested.filter((id) => known.has(id)))];

    let conv: ConversationRecord;
    let created = true;
    if (type === 'u') {
      const others = participants.filter((id) => id !== userId);
      if (others.length > 1) throw samaError(Errors.tooManyUsersPrivate);
      const opponentId = input.opponent_id ?? others[0] ?? (participants.includes(userId) ? userId : undefined);
      if (opponentId === undefined) throw samaError(Errors.selectAtLeastOneUser);
      if (opponentId === userId) throw samaError(Errors.incorrectUser);
      if (!(await store.users.byId(orgId, opponentId))) throw samaError(Errors.incorrectUser);
      // Neither side of a block may open (or reopen) a private chat with the other.
      if (await store.blocks.blockedEitherWay(orgId, userId, opponentId)) throw samaError(Errors.blocked);
      ({ conv, created } = await privateConversation(ctx, opponentId, input.is_encrypted === true));
    } else {
      const members = [userId, ...participants.filter((id) => id !== userId)];
      if (type === 'g' && members.length < 2) throw samaError(Errors.participantsNotProvided);
      if (members.length > config.conversationMaxParticipants) throw samaError(Errors.participantLimit);
      const cid = newId();
      // The image is shown to every participant: it must be a file the creator may see.
      await ctx.deps.files.shareImage(orgId, userId, input.image_object, cid, ctx.now);
      conv = await store.conversations.create(
        { _id: cid, organization_id: orgId, type, name: input.name ?? null, description: input.description ?? null, owner_id: userId, opponent_id: null, image_object: input.image_object ?? null, is_encrypted: input.is_encrypted === true, created_at: ctx.now },
        members.map((id) => ({ user_id: id, role: id === userId ? 'owner' : null })),
      );
    }

    const wire = publicConversation(conv, ctx.deps.files.imageUrl(conv.image_object, ctx.now));
    const deliver: Delivery[] = [];
    if (created && config.conversationNotificationsEnabled) {
      const to = type === 'u' ? [conv.owner_id, ...(conv.opponent_id ? [conv.opponent_id] : [])] : [userId, ...participants];
      const actor = type === 'u' ? undefined : await store.users.byId(orgId, userId);
      // Groups and channels are announced by push to offline participants; private chats are not (§5.6).
      const push = actor && { payload: conversationPushPayload(conv, displayName(actor), `${displayName(actor)} created a new conversation`), actorId: userId };
      deliver.push({ orgId, to, packet: conversationEvent('conversation_created', wire, userId, ctx.now), exceptDevice: { userId, deviceId }, offline: 'oplog', ...(push ? { push } : {}) });
    }
    return { response: { conversation: wire }, deliver };
  },
});
