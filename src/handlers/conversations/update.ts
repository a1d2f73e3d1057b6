import { handOverOwnership, isAdmin, publicConversation } from '../../domain/conversations.js';
import type { Delivery } from '../../domain/delivery.js';
import { conversationEvent } from '../../domain/events.js';
import { conversationPushPayload } from '../../domain/push.js';
import { displayName } from '../../domain/users.js';
import { storeSystemMessage } from '../../domain/messages.js';
import { participantMessage } from '../../domain/participant-messages.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { LimitError, type ConversationPatch } from '../../store/store.js';
import { defineHandler } from '../define.js';

/**
 * `conversation_update` (protocol.md §3.4, §5.6). An empty `participants` or `admins` object
 * (`{}`, as SAMA's web client sends with every rename) means "no change", as in SAMA. Groups and channels: owner or admins only;
 * private chats: members only, and only the plain fields (SAMA checks no membership there).
 * Added users get `conversation_updated`, removed ones `conversation_kicked`, everyone the
 * participant messages; a conversation left empty is deleted (`{deleted: true}`), and a removed
 * owner hands over to the oldest remaining participant.
 */
export const conversationUpdate = defineHandler({
  kind: 'conversation_update',
  auth: true,
  schema: RequestSchemas.conversation_update,
  orderingKey: (input) => input.id,
  async handle(input, { deps, session, now }) {
    const { store, config } = deps;
    const { orgId, userId, deviceId } = session;
    let conv = await store.conversations.byId(orgId, input.id);
    if (!conv) throw samaError(Errors.badRequest);
    const me = await store.participants.get(conv._id, userId);
    if (conv.type === 'u' ? !me : !isAdmin(conv, me)) throw samaError(Errors.forbidden);
    const patch: ConversationPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.image_object !== undefined) {
      await deps.files.shareImage(orgId, userId, input.image_object, conv._id, now);
      patch.image_object = input.image_object;
    }
    const fieldsChanged = Object.keys(patch).length > 0;
    if (conv.type === 'u') {
      const updated = fieldsChanged ? await store.conversations.update(orgId, conv._id, patch, now) : conv;
      return { response: { conversation: publicConversation(updated ?? conv, deps.files.imageUrl((updated ?? conv).image_object, now)) } };
    }

    const inOrg = async (ids: readonly string[] | undefined): Promise<string[]> => (ids && ids.length > 0 ? (await store.users.byIds(orgId, ids)).map((u) => u._id) : []);
    const max = config.conversationMaxParticipants;
    const ownerId = conv.owner_id;
    const newAdmins = await inOrg(input.admins?.add);
    let added: string[] = [];
    try {
      // Naming someone admin also makes them a participant (protocol.md §3.4).
      added = await store.participants.add(orgId, conv._id, [...(await inOrg(input.participants?.add)), ...newAdmins].map((id) => ({ user_id: id, role: null })), now, max);
    } catch (err) {
      if (err instanceof LimitError) throw samaError(Errors.participantLimit);
      throw err;
    }
    const adminAdds = newAdmins.filter((id) => id !== ownerId);
    if (adminAdds.length > 0) await store.participants.setRole(conv._id, adminAdds, 'admin', now);
    const adminRemoves = (await inOrg(input.admins?.remove)).filter((id) => id !== ownerId);
    if (adminRemoves.length > 0) await store.participants.setRole(conv._id, adminRemoves, null, now);
    const removed = await store.participants.remove(orgId, conv._id, await inOrg(input.participants?.remove));
    const remaining = await store.participants.list(conv._id);
    if (remaining.length === 0) {
      await store.conversations.delete(orgId, conv._id);
      return { response: { deleted: true } };
    }
    if (removed.includes(conv.owner_id)) conv = await handOverOwnership(store, conv, now);
    if (fieldsChanged || added.length > 0 || removed.length > 0) conv = (await store.conversations.update(orgId, conv._id, patch, now)) ?? conv;
    const wire = publicConversation(conv, deps.files.imageUrl(conv.image_object, now));
    const deliver: Delivery[] = [];
    if (config.conversationNotificationsEnabled && (fieldsChanged || added.length > 0 || removed.length > 0)) {
      const members = remaining.map((p) => p.user_id);
      const subjects = new Map((await store.users.byIds(orgId, [...added, ...removed])).map((u) => [u._id, u]));
      for (const id of added) {
        const u = subjects.get(id);
        if (!u) continue;
        // The added users are told by their own push below, not also by this one.
        const d = await participantMessage(store, conv, userId, 'added_participant', u, members, now);
        deliver.push(d.push ? { ...d, push: { ...d.push, skip: added } } : d);
      }
      const actor = await store.users.byId(orgId, userId);
      const actorName = actor ? displayName(actor) : '';
      const push = (body: string): Delivery['push'] => ({ payload: conversationPushPayload(conv, actorName, body), actorId: userId });
      if (added.length > 0) deliver.push({ orgId, to: added, packet: conversationEvent('conversation_updated', { ...wire, unread_messages_count: 1 }, userId, now), offline: 'oplog', push: push(`${actorName} added you to conversation`) });
      for (const id of removed) {
        const u = subjects.get(id);
        if (u) deliver.push(await participantMessage(store, conv, userId, 'removed_participant', u, members, now));
      }
      if (removed.length > 0) deliver.push({ orgId, to: removed, packet: conversationEvent('conversation_kicked', wire, userId, now), offline: 'oplog', push: push(`${actorName} removed you from conversation`) });
      const others = members.filter((id) => !added.includes(id));
      // Membership changes were already pushed as participant messages; a change of name,
      // description or image alone gets its own push.
      const onlyFields = added.length === 0 && removed.length === 0;
      deliver.push({ orgId, to: others, packet: conversationEvent('conversation_updated', wire, userId, now), exceptDevice: { userId, deviceId }, offline: 'oplog', ...(onlyFields ? { push: push(`${actorName} updated the conversation`) } : {}) });
      if (input.image_object !== undefined) {
        const { packet, place } = await storeSystemMessage(store, conv, userId, 'Group chat image was updated', { type: 'update_image', conversation: wire }, now);
        deliver.push({ orgId, to: members, packet, offline: 'oplog', ...(place ? { place } : {}) });
      }
    }
    return { response: { conversation: wire }, deliver };
  },
});
