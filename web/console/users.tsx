import { useState } from 'preact/hooks';
import type { AdminApi, AdminUser } from './api.ts';
import { useAsync, when } from '../shared/use-async.ts';

/** What the last action did, shown above the table (a generated password is shown once here). */
interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

function UserRow({ api, orgId, user, onDone }: { api: AdminApi; orgId: string; user: AdminUser; onDone: (n: Notice, changed: boolean) => void }) {
  const [confirming, setConfirming] = useState(false);
  const act = async (work: () => Promise<string>, changed: boolean): Promise<void> => {
    try {
      onDone({ kind: 'ok', text: await work() }, changed);
    } catch (err) {
      onDone({ kind: 'error', text: err instanceof Error ? err.message : String(err) }, false);
    }
  };
  const reset = (): Promise<void> => act(async () => {
    const r = await api.resetPassword(orgId, user._id);
    return `New password for ${user.login}: ${r.password ?? ''} (sessions ended${r.online ? ', was online' : ''})`;
  }, false);
  const revoke = (): Promise<void> => act(async () => {
    const r = await api.revokeSessions(orgId, user._id);
    return `Sessions of ${user.login} revoked${r.online ? ' (was online)' : ''}`;
  }, false);
  const remove = (): Promise<void> => act(async () => {
    await api.deleteUser(orgId, user._id);
    return `Deleted ${user.login}`;
  }, true);
  return (
    <tr data-user={user.login}>
      <td>{user.login}</td>
      <td>{user.email ?? ''}</td>
      <td>{[user.first_name, user.last_name].filter(Boolean).join(' ')}</td>
      <td>{when(user.created_at)}</td>
      <td class="actions">
        <a href={`#/users/${encodeURIComponent(orgId)}/${encodeURIComponent(user._id)}`}>Conversations</a>
        <button class="small" onClick={() => void reset()}>Reset password</button>
        <button class="small" onClick={() => void revoke()}>Revoke sessions</button>
        {confirming ? (
          <>
            <button class="small danger" onClick={() => void remove()}>Confirm delete</button>
            <button class="small" onClick={() => setConfirming(false)}>Cancel</button>
          </>
        ) : (
          <button class="small danger" onClick={() => setConfirming(true)}>Delete</button>
        )}
      </td>
    </tr>
  );
}

/** Users of one organization: search, create, and per user reset, revoke, delete, conversations. */
export function UsersPage({ api, orgId }: { api: AdminApi; orgId: string }) {
  const orgs = useAsync(() => api.organizations(), [api]);
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const users = useAsync(() => api.users(orgId, search), [api, orgId, search]);
  const [notice, setNotice] = useState<Notice | undefined>(undefined);
  const [login, setLogin] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const r = await api.createUser(orgId, { login: login.trim(), ...(email.trim() === '' ? {} : { email: email.trim() }), ...(password === '' ? {} : { password }) });
      setNotice({ kind: 'ok', text: `Created ${r.user.login}${r.password === undefined ? '' : ` with password: ${r.password}`}` });
      setLogin('');
      setEmail('');
      setPassword('');
      users.reload();
    } catch (err) {
      setNotice({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };
  const org = orgs.data?.organizations.find((o) => o._id === orgId);
  return (
    <section>
      <h2>Users of {org?.name ?? orgId}</h2>
      <div class="toolbar">
        <label>
          Organization{' '}
          <select name="org" value={orgId} onChange={(e) => (location.hash = `#/users/${encodeURIComponent(e.currentTarget.value)}`)}>
            {(orgs.data?.organizations ?? []).map((o) => (
              <option key={o._id} value={o._id}>{o.name}</option>
            ))}
          </select>
        </label>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); setSearch(q.trim()); users.reload(); }}>
          <input name="q" type="search" placeholder="Login, e-mail or phone" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          <button type="submit">Search</button>
        </form>
      </div>
      <form class="inline create" onSubmit={(e) => void create(e)}>
        <input name="login" placeholder="Login (3-40)" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        <input name="email" type="email" placeholder="E-mail (optional)" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <input name="password" type="password" autocomplete="new-password" placeholder="Password (blank: generate)" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit">Create user</button>
      </form>
      {notice && <p class={notice.kind === 'ok' ? 'notice' : 'error'} role="status">{notice.text}</p>}
      {users.error !== '' && <p class="error" role="alert">{users.error}</p>}
      <table data-table="users">
        <thead>
          <tr><th>Login</th><th>E-mail</th><th>Name</th><th>Created</th><th /></tr>
        </thead>
        <tbody>
          {(users.data?.users ?? []).map((u) => (
            <UserRow key={u._id} api={api} orgId={orgId} user={u} onDone={(n, changed) => { setNotice(n); if (changed) users.reload(); }} />
          ))}
        </tbody>
      </table>
      {users.data !== undefined && users.data.users.length === 0 && <p class="muted">No users{search === '' ? '' : ` match “${search}”`}.</p>}
      {users.data?.next != null && <p class="muted">Showing the first 50; search to narrow down.</p>}
    </section>
  );
}
