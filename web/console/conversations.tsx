import type { AdminApi } from './api.ts';
import { useAsync, when } from '../shared/use-async.ts';

const TYPES: Readonly<Record<string, string>> = { u: 'private', g: 'group', c: 'channel' };

/** The conversations one user takes part in, newest first. */
export function ConversationsPage({ api, orgId, userId }: { api: AdminApi; orgId: string; userId: string }) {
  const convs = useAsync(() => api.conversations(orgId, userId), [api, orgId, userId]);
  return (
    <section>
      <h2>Conversations of user <code>{userId}</code></h2>
      <p><a href={`#/users/${encodeURIComponent(orgId)}`}>← users of the organization</a></p>
      {convs.error !== '' && <p class="error" role="alert">{convs.error}</p>}
      <table data-table="conversations">
        <thead>
          <tr><th>Name</th><th>Type</th><th>Id</th><th>Owner</th><th>Updated</th></tr>
        </thead>
        <tbody>
          {(convs.data?.conversations ?? []).map((c) => (
            <tr key={c._id} data-conversation={c._id}>
              <td>{c.name ?? (c.type === 'u' ? `with ${c.opponent_id === userId ? c.owner_id : (c.opponent_id ?? '')}` : '')}</td>
              <td>{TYPES[c.type] ?? c.type}</td>
              <td><code>{c._id}</code></td>
              <td><code>{c.owner_id}</code></td>
              <td>{when(c.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {convs.data?.conversations.length === 0 && <p class="muted">No conversations.</p>}
    </section>
  );
}
