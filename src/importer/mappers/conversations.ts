import { pairKey } from '../../store/sql/conversations.js';
import type { CollectionSpec } from '../spec.js';
import { participantCounts } from '../derived.js';
import { anyId, bad, objectId, times } from '../values.js';
import { imageRef, optionalText, ownOrg, parentOrg, rawOrg } from './common.js';

/** Conversations, their participants and their handlers (protocol.md §11.4, §11.5, §11.15). */

const TIME_FIELDS = ['created_at', 'updated_at', 'createdAt', 'updatedAt'];

export const conversations: CollectionSpec = {
  collection: 'conversations',
  table: 'conversations',
  fields: ['_id', 'organization_id', 'type', 'name', 'description', 'owner_id', 'opponent_id', 'image_object', 'is_encrypted', ...TIME_FIELDS],
  dropped: {
    image_url: 'worked out from image_object on every read',
    subscribers_count: 'Parley counts participants itself (participants_count, shown as subscribers_count)',
    last_message: 'worked out on every read',
    unread_messages_count: 'worked out on every read',
  },
  parse(doc, settings, look) {
    const id = objectId(doc._id) ?? bad('_id is not an ObjectId');
    const org = rawOrg(doc);
    const type = doc.type;
    if (type !== 'u' && type !== 'g' && type !== 'c') bad('type is not u, g or c');
    const name = optionalText(doc, 'name', false, 255);
    const description = optionalText(doc, 'description', false, 255);
    const owner = anyId(doc.owner_id) ?? bad('no owner_id');
    const opponent = type === 'u' ? (anyId(doc.opponent_id) ?? null) : null;
    const encrypted = doc.is_encrypted === true;
    const image = imageRef(doc.image_object);
    const pair = opponent !== null ? pairKey(owner, opponent, encrypted) : null;
    const t = times(doc, id, settings.now);
    return {
      refs: { organizations: [org], ...(pair !== null ? { pairs: [`${look.mapOrg(org)}|${pair}`] } : {}) },
      build(lk) {
        const organization_id = ownOrg(org, lk);
        let pair_key = pair;
        let note: string | undefined;
        if (pair !== null) {
          const holder = lk.pairHolder(organization_id, pair);
          if (holder !== undefined && holder !== id) {
            // SAMA can hold two private conversations of one pair (a race it does not guard);
            // both keep their messages, and the pair's lookups find the first.
            pair_key = null;
            note = 'a second private conversation of the same two users: imported without its pair key (conversation_create for the pair finds the first)';
          } else lk.claimPair(organization_id, pair, id);
        }
        return {
          rows: [
            {
              id,
              organization_id,
              type,
              name,
              description,
              owner_id: owner,
              opponent_id: opponent,
              pair_key,
              image_object: image === null ? null : JSON.stringify(image),
              is_encrypted: encrypted ? 1 : 0,
              participants_count: 0,
              ...t,
            },
          ],
          ...(image?.file_id !== undefined ? { extra: [{ table: 'file_links', rows: [{ object_id: image.file_id, organization_id, scope: id, created_at: t.created_at }] }] } : {}),
          ...(note !== undefined ? { note } : {}),
        };
      },
    };
  },
  explainClash: () => Promise.resolve({ kind: 'bad', reason: 'the private pair is taken by another conversation' }),
};

export const participants: CollectionSpec = {
  collection: 'conversations_participants',
  table: 'conversation_participants',
  fields: ['organization_id', 'conversation_id', 'user_id', 'role', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys participants by (conversation, user)' },
  parse(doc, settings) {
    const cid = objectId(doc.conversation_id) ?? bad('conversation_id is not an ObjectId');
    const user = objectId(doc.user_id) ?? bad('user_id is not an ObjectId');
    const role = doc.role === 'owner' || doc.role === 'admin' ? doc.role : null;
    const org = rawOrg(doc);
    const t = times(doc, anyId(doc._id), settings.now);
    return {
      refs: { conversations: [cid], users: [user] },
      build(look) {
        const conv = look.conversation(cid) ?? bad('conversation not in the dump', cid);
        const userOrg = look.userOrg(user) ?? bad('user not in the dump', user);
        if (userOrg !== conv.org) bad('user and conversation are in different organizations', `${user} in ${userOrg}, ${cid} in ${conv.org}`);
        const organization_id = parentOrg(org, conv.org, look, 'conversation');
        return { rows: [{ conversation_id: cid, user_id: user, organization_id, role, last_read_message_id: null, ...t }] };
      },
    };
  },
  derive: participantCounts,
};

export const conversationHandlers: CollectionSpec = {
  collection: 'conversation_handlers',
  table: 'conversation_handlers',
  fields: ['conversation_id', 'content', 'updated_by', ...TIME_FIELDS],
  dropped: { _id: 'Parley keys handlers by conversation' },
  parse(doc, settings) {
    const cid = objectId(doc.conversation_id) ?? bad('conversation_id is not an ObjectId');
    const content = typeof doc.content === 'string' ? doc.content : bad('content is not text');
    const by = anyId(doc.updated_by) ?? bad('no updated_by');
    const t = times(doc, anyId(doc._id), settings.now);
    return {
      refs: { conversations: [cid] },
      build(look) {
        const conv = look.conversation(cid) ?? bad('conversation not in the dump', cid);
        return { rows: [{ conversation_id: cid, organization_id: conv.org, content, updated_by: by, ...t, last_error: null, last_error_at: null }] };
      },
    };
  },
};
