import { isAdmin } from '../../domain/conversations.js';
import { publicUser } from '../../domain/users.js';
import { Errors } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import type { AuthedContext } from '../define.js';
import { defineHandler } from '../define.js';

/** SAMA's error for a missing or malformed `cids`; more than Parley's 100 is the validator's text. */
const cidsErrors = { missing: Errors.cidsRequired, invalid: Errors.cidsRequired };

/** Builds `{users, conversations: {cid: [userIds]}}` for the conversations `pick` keeps. */
async function byCids(ctx: AuthedContext, cids: readonly string[], adminsOnly: boolean): Promise<Record<string, unknown>> {
  const { store } = ctx.deps;
  const { orgId, userId } = ctx.session;
  const rows = await store.participants.forConversations(orgId, cids);
  const conversations: Record<string, string[]> = {};
  for (const cid of new Set(cids)) {
    const members = rows.filter((r) => r.conversation_id === cid);
    const mine = members.find((r) => r.user_id === userId);
    if (!mine) continue;
    const conv = await store.conversations.byId(orgId, cid);
    if (!conv) continue;
    if (adminsOnly) {
      if (!isAdmin(conv, mine)) continue;
      conversations[cid] = [conv.owner_id, ...members.filter((r) => r.role === 'admin' && r.user_id !== conv.owner_id).map((r) => r.user_id)];
    } else {
      const ids = members.map((r) => r.user_id);
      // Private chats list both sides even if one has left (protocol.md §3.4).
      if (conv.type === 'u') for (const id of [conv.owner_id, conv.opponent_id]) if (id !== null && !ids.includes(id)) ids.push(id);
      conversations[cid] = ids;
    }
  }
  const all = [...new Set(Object.values(conversations).flat())];
  const users = (await store.users.byIds(orgId, all)).slice(0, 100);
  return { users: users.map((u) => publicUser(u, ctx.deps.files.imageUrl(u.avatar_object, ctx.now))), conversations };
}

/** `get_participants_by_cids`: members of the given conversations the caller belongs to. */
export const getParticipantsByCids = defineHandler({
  kind: 'get_participants_by_cids',
  auth: true,
  schema: RequestSchemas.get_participants_by_cids,
  errors: { fields: { cids: cidsErrors } },
  async handle(input, ctx) {
    return { response: await byCids(ctx, input.cids, false) };
  },
});

/** `get_admins_by_cids`: owner and admins of the given conversations the caller administers. */
export const getAdminsByCids = defineHandler({
  kind: 'get_admins_by_cids',
  auth: true,
  schema: RequestSchemas.get_admins_by_cids,
  errors: { fields: { cids: cidsErrors } },
  async handle(input, ctx) {
    return { response: await byCids(ctx, input.cids, true) };
  },
});
