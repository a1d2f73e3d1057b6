import { assertNotBlocked } from '../../domain/blocks.js';
import { requireMember } from '../../domain/conversations.js';
import { Errors, samaError } from '../../protocol/errors.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `typing` (protocol.md §3.6): relayed to the current participants except the sending device. No
 * reply on success. Unlike SAMA, typing notices are never stored for offline users: a stale
 * "typing" is noise.
 */
export const typing = defineHandler({
  kind: 'typing',
  auth: true,
  schema: RequestSchemas.typing,
  errors: { fields: { cid: Errors.cidRequired } },
  async handle(input, { deps, session, now }) {
    const { conversation } = await requireMember(deps.store, session.orgId, input.cid, session.userId);
    if (conversation.type === 'c') throw samaError(Errors.forbidden);
    await assertNotBlocked(deps.store, conversation, session.userId);
    const event: Record<string, unknown> = { cid: conversation._id, c_type: conversation.type, from: session.userId, t: Math.round(now / 1000) };
    if (input.status !== undefined) event.status = input.status;
    const to = (await deps.store.participants.list(conversation._id)).map((p) => p.user_id);
    return { deliver: [{ orgId: session.orgId, to, packet: { typing: event }, exceptDevice: { userId: session.userId, deviceId: session.deviceId }, offline: 'drop' }] };
  },
});
