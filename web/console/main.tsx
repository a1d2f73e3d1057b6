import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { AdminApi, ApiError } from './api.ts';
import { ConversationsPage } from './conversations.tsx';
import { OrganizationsPage } from './organizations.tsx';
import { OverviewPage } from './overview.tsx';
import { PushPage } from './push.tsx';
import { UsersPage } from './users.tsx';

/** The page a location hash names: `#/overview`, `#/orgs`, `#/users/<org>`, `#/users/<org>/<user>`, `#/push`. */
type Route = { page: 'overview' } | { page: 'orgs' } | { page: 'users'; orgId: string } | { page: 'conversations'; orgId: string; userId: string } | { page: 'push' };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'orgs') return { page: 'orgs' };
  if (parts[0] === 'push') return { page: 'push' };
  if (parts[0] === 'users' && parts[1] !== undefined && parts[2] !== undefined) return { page: 'conversations', orgId: parts[1], userId: parts[2] };
  if (parts[0] === 'users') return { page: 'users', orgId: parts[1] ?? 'default' };
  return { page: 'overview' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSignedIn }: { onSignedIn: (api: AdminApi) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    const api = new AdminApi(key);
    try {
      await api.overview();
      onSignedIn(api);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That is not the admin key.' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={(e) => void submit(e)}>
        <h1>Parley console</h1>
        <p class="muted">Sign in with the server's admin key (HTTP_ADMIN_API_KEY). It is kept in this page's memory only: reloading signs you out.</p>
        <label>
          Admin key
          <input name="key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
        {error !== '' && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

const NAV: [string, string, Route['page'][]][] = [
  ['#/overview', 'Overview', ['overview']],
  ['#/orgs', 'Organizations', ['orgs']],
  ['#/users/default', 'Users', ['users', 'conversations']],
  ['#/push', 'Push outbox', ['push']],
];

function Shell({ api, onSignOut }: { api: AdminApi; onSignOut: () => void }) {
  const route = useRoute();
  return (
    <div class="shell">
      <header>
        <strong>Parley</strong>
        <nav>
          {NAV.map(([href, label, pages]) => (
            <a key={href} href={href} class={pages.includes(route.page) ? 'active' : ''}>{label}</a>
          ))}
          <a href="/console/demo/" target="_blank" rel="noopener">Chat demo</a>
        </nav>
        <button class="link" onClick={onSignOut}>Sign out</button>
      </header>
      <main>
        {route.page === 'overview' && <OverviewPage api={api} />}
        {route.page === 'orgs' && <OrganizationsPage api={api} />}
        {route.page === 'users' && <UsersPage key={route.orgId} api={api} orgId={route.orgId} />}
        {route.page === 'conversations' && <ConversationsPage api={api} orgId={route.orgId} userId={route.userId} />}
        {route.page === 'push' && <PushPage api={api} />}
      </main>
    </div>
  );
}

function App() {
  const [api, setApi] = useState<AdminApi | undefined>(undefined);
  return api === undefined ? <SignIn onSignedIn={setApi} /> : <Shell api={api} onSignOut={() => setApi(undefined)} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
