import { optionalDateMs } from '../../protocol/schemas.js';
import { RequestSchemas } from '../../protocol/requests/index.js';
import { defineHandler } from '../define.js';

/**
 * `conversation_search` (protocol.md §3.4): ids of named conversations whose name contains the
 * text, newest activity first. Unlike SAMA, which searches every conversation of the organization
 * (revealing private groups' names), Parley searches what the caller may see: channels of the
 * organization and conversations the caller belongs to.
 */
export const conversationSearch = defineHandler({
  kind: 'conversation_search',
  auth: true,
  schema: RequestSchemas.conversation_search,
  async handle(input, { deps, session }) {
    const { store, config } = deps;
    const updatedAfter = optionalDateMs(input.updated_at?.gt, 'updated_at.gt');
    const limit = Math.min(input.limit ?? config.searchPreloadCount, config.searchPreloadCount);
    const ids = await store.conversations.searchByName(session.orgId, { name: input.name, limit, updatedAfter, visibleTo: session.userId });
    return { response: { conversations: ids } };
  },
});
