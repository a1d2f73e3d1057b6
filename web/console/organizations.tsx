import { useState } from 'preact/hooks';
import type { AdminApi } from './api.ts';
import { useAsync, when } from '../shared/use-async.ts';

/** Organizations with their user counts, links to their users and chat demo, and a create form. */
export function OrganizationsPage({ api }: { api: AdminApi }) {
  const orgs = useAsync(() => api.organizations(), [api]);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api.createOrganization(name.trim());
      setName('');
      setError('');
      orgs.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section>
      <h2>Organizations</h2>
      <form class="inline" onSubmit={(e) => void create(e)}>
        <input name="name" placeholder="New organization name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create</button>
      </form>
      {(orgs.error || error) !== '' && <p class="error" role="alert">{error || orgs.error}</p>}
      <table data-table="organizations">
        <thead>
          <tr><th>Name</th><th>Id</th><th>Users</th><th>Created</th><th /></tr>
        </thead>
        <tbody>
          {(orgs.data?.organizations ?? []).map((o) => (
            <tr key={o._id} data-org={o._id}>
              <td>{o.name}</td>
              <td><code>{o._id}</code></td>
              <td>{o.users}</td>
              <td>{when(o.created_at)}</td>
              <td class="actions">
                <a href={`#/users/${encodeURIComponent(o._id)}`}>Users</a>
                <a href={`/console/demo/?org=${encodeURIComponent(o._id)}`} target="_blank" rel="noopener">Open chat demo</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {orgs.data?.next != null && <p class="muted">Showing the first 200 organizations.</p>}
    </section>
  );
}
