import type { CollectionSpec } from '../spec.js';
import { conversationTimes, readMarks } from '../derived.js';
import { anyId, bad, int, isObject, objectId, plain, times } from '../values.js';
import { optionalText, parentOrg, rawOrg } from './common.js';

/** Messages with what hangs off them: statuses and reactions (protocol.md §11.6–11.8). */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

export const messages: CollectionSpec = {
  collection: 'messages',
  table: 'messages',
  fields: ['_id', 'organization_id', 'cid', 'from', 't', 'body', 'attachments', 'x', 'replied_message_id', 'forwarded_message_id', 'deleted_for', 'encrypted_message_type', ...TIME_FIELDS],
  dropped: { status: 'worked out from message_statuses on every read', reactions: 'worked out from message_reactions on every read', c_type: 'added to live events only' },
  parse(doc, settings) {
    // Parley lists a conversation's messages in id order, and ids embed their creation second.
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const cid = objectId(doc.cid) ?? bad('cid is not an ObjectId');
    const from = anyId(doc.from) ?? bad('no from');
    const org = rawOrg(doc);
    const body = optionalText(doc, 'body');
    const rawAttachments = doc.attachments;
    if (rawAttachments !== undefined && rawAttachments !== null && (!Array.isArray(rawAttachments) || !rawAttachments.every(isObject))) bad('attachments is not a list of objects');
    const attachments = Array.isArray(rawAttachments) && rawAttachments.length > 0 ? (plain(rawAttachments) as Record<string, unknown>[]) : null;
    if (doc.x !== undefined && doc.x !== null && !isObject(doc.x)) bad('x is not an object');
    const x = isObject(doc.x) ? plain(doc.x) : null;
    const encrypted = doc.encrypted_message_type === undefined || doc.encrypted_message_type === null ? null : (int(doc.encrypted_message_type) ?? bad('encrypted_message_type is not an integer'));
    const t = times(doc, id, settings.now);
    const unixT = int(doc.t) ?? Math.ceil(t.created_at / 1000);
    const hiddenFor = Array.isArray(doc.deleted_for) ? [...new Set(doc.deleted_for.map(anyId).filter((u): u is string => u !== undefined))] : [];
    const fileIds = [...new Set((attachments ?? []).map((a) => a.file_id).filter((f): f is string => typeof f === 'string' && /^[0-9a-f]{24}$/.test(f)))];
    return {
      refs: { conversations: [cid] },
      build(look) {
        const conv = look.conversation(cid) ?? bad('conversation not in the dump', cid);
        const organization_id = parentOrg(org, conv.org, look, 'conversation');
        const extra = [];
        if (hiddenFor.length > 0) extra.push({ table: 'message_hidden' as const, rows: hiddenFor.map((user_id) => ({ mid: id, user_id, cid })) });
        // An attachment is seen by the conversation's participants (FileStore scope = cid).
        if (fileIds.length > 0) extra.push({ table: 'file_links' as const, rows: fileIds.map((object_id) => ({ object_id, organization_id, scope: cid, created_at: t.created_at })) });
        return {
          rows: [
            {
              id,
              organization_id,
              cid,
              from_id: from,
              // SAMA keeps no client message id (it drops `id` when it stores a message).
              client_id: null,
              body,
              attachments: attachments === null ? null : JSON.stringify(attachments),
              x: x === null ? null : JSON.stringify(x),
              replied_message_id: anyId(doc.replied_message_id) ?? null,
              forwarded_message_id: anyId(doc.forwarded_message_id) ?? null,
              encrypted_message_type: encrypted,
              t: unixT,
              ...t,
            },
          ],
          ...(extra.length > 0 ? { extra } : {}),
        };
      },
    };
  },
  derive: conversationTimes,
};

export const messageStatuses: CollectionSpec = {
  collection: 'message_statuses',
  aliases: ['message_status'],
  table: 'message_statuses',
  fields: ['mid', 'cid', 'user_id', 'status', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys statuses by (message, reader)' },
  parse(doc, settings) {
    const mid = objectId(doc.mid) ?? bad('mid is not an ObjectId');
    const user = anyId(doc.user_id) ?? bad('no user_id');
    const status = doc.status;
    if (status !== 'read' && status !== 'decryption_failed') bad('status is not read or decryption_failed');
    const cid = doc.cid === undefined ? undefined : (objectId(doc.cid) ?? bad('cid is not an ObjectId'));
    const t = times(doc, anyId(doc._id), settings.now);
    return {
      refs: { messages: [mid] },
      build(look) {
        const m = look.message(mid) ?? bad('message not in the dump', mid);
        if (cid !== undefined && cid !== m.cid) bad("cid differs from its message's", `${cid} vs ${m.cid}`);
        return { rows: [{ mid, cid: m.cid, user_id: user, status, created_at: t.created_at }] };
      },
    };
  },
  derive: readMarks,
};

export const messageReactions: CollectionSpec = {
  collection: 'message_reactions',
  table: 'message_reactions',
  fields: ['mid', 'user_id', 'reaction', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys reactions by (message, user, reaction)' },
  parse(doc, settings) {
    const mid = objectId(doc.mid) ?? bad('mid is not an ObjectId');
    const user = anyId(doc.user_id) ?? bad('no user_id');
    const reaction = typeof doc.reaction === 'string' && doc.reaction.length > 0 && doc.reaction.length <= 255 ? doc.reaction : bad('reaction is not text');
    const t = times(doc, anyId(doc._id), settings.now);
    return {
      refs: { messages: [mid] },
      build(look) {
        const m = look.message(mid) ?? bad('message not in the dump', mid);
        return { rows: [{ mid, cid: m.cid, user_id: user, reaction, created_at: t.created_at }] };
      },
    };
  },
};
