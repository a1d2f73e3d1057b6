import { useState } from 'preact/hooks';
import type { AdminApi } from './api.ts';
import { useAsync, when } from '../shared/use-async.ts';

/** The title of a push payload for the table; the payload itself when it has none. */
function title(payload: string): string {
  try {
    const p = JSON.parse(payload) as { title?: unknown; body?: unknown };
    const text = [p.title, p.body].filter((v) => typeof v === 'string' && v !== '').join(': ');
    return text || payload;
  } catch {
    return payload;
  }
}

/** The durable push outbox: counts by state and the oldest rows, of all organizations or one. */
export function PushPage({ api }: { api: AdminApi }) {
  const orgs = useAsync(() => api.organizations(), [api]);
  const [orgId, setOrgId] = useState('');
  const outbox = useAsync(() => api.pushOutbox(orgId), [api, orgId]);
  const s = outbox.data?.stats;
  return (
    <section>
      <h2>Push outbox</h2>
      <div class="toolbar">
        <label>
          Organization{' '}
          <select name="org" value={orgId} onChange={(e) => setOrgId(e.currentTarget.value)}>
            <option value="">all</option>
            {(orgs.data?.organizations ?? []).map((o) => (
              <option key={o._id} value={o._id}>{o.name}</option>
            ))}
          </select>
        </label>
        <button onClick={outbox.reload}>Refresh</button>
      </div>
      {outbox.error !== '' && <p class="error" role="alert">{outbox.error}</p>}
      {s && (
        <div class="stats">
          <div class="stat" data-stat="push_total"><span class="label">Waiting</span><span class="value">{s.total}</span></div>
          <div class="stat" data-stat="push_new"><span class="label">New</span><span class="value">{s.byState.new}</span></div>
          <div class="stat" data-stat="push_due"><span class="label">Due again</span><span class="value">{s.byState.due}</span></div>
          <div class="stat" data-stat="push_waiting"><span class="label">Waiting for retry</span><span class="value">{s.byState.waiting}</span></div>
          <div class="stat"><span class="label">Oldest</span><span class="value small">{s.oldestCreatedAt === null ? '-' : when(s.oldestCreatedAt)}</span></div>
          <div class="stat"><span class="label">Most tries</span><span class="value">{s.maxAttempts}</span></div>
        </div>
      )}
      <table data-table="pushes">
        <thead>
          <tr><th>State</th><th>Tries</th><th>Next try</th><th>Created</th><th>User</th><th>Payload</th></tr>
        </thead>
        <tbody>
          {(outbox.data?.pushes ?? []).map((p) => (
            <tr key={p._id} data-push={p._id}>
              <td>{p.state}</td>
              <td>{p.attempts}</td>
              <td>{outbox.data && p.next_attempt_at <= outbox.data.now ? 'now' : when(p.next_attempt_at)}</td>
              <td>{when(p.created_at)}</td>
              <td><code>{p.user_id}</code></td>
              <td class="payload">{title(p.payload)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {outbox.data?.pushes.length === 0 && <p class="muted">The outbox is empty: every push was sent.</p>}
    </section>
  );
}
