import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ParleyClient, type Conversation, type Message, type User } from '@parley/client';
import './demo.css';

/**
 * A small chat on the @parley/client SDK, served by Parley at /console/demo/?org=<organization>:
 * sign up or log in, start a chat with other logins, and send and receive live messages. Open it
 * in two windows to chat with yourself. Each tab keeps its own device id (sessionStorage), so two
 * tabs of one browser are two devices.
 */

const orgId = new URLSearchParams(location.search).get('org') ?? 'default';

function newClient(): ParleyClient {
  return new ParleyClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`,
    organizationId: orgId,
    storage: window.sessionStorage,
  });
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function Auth({ client, onIn }: { client: ParleyClient; onIn: (me: User) => void }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (signUp: boolean): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      if (signUp) await client.request('user_create', { organization_id: orgId, login, password, email: `${login.toLowerCase()}@example.com` });
      onIn(await client.login({ login, password }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="auth">
      <form onSubmit={(e) => { e.preventDefault(); void run(false); }}>
        <h1>Parley chat demo</h1>
        <p class="muted">Organization <code>{orgId}</code>. New here? Pick a login and a password and sign up.</p>
        <input name="login" placeholder="Login" autocomplete="username" required minLength={3} maxLength={40} value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        <input name="password" type="password" placeholder="Password" autocomplete="current-password" required minLength={3} maxLength={40} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <div class="buttons">
          <button type="submit" disabled={busy}>Log in</button>
          <button type="button" class="secondary" disabled={busy} onClick={(e) => { if ((e.currentTarget.form as HTMLFormElement).reportValidity()) void run(true); }}>Sign up</button>
        </div>
        {error !== '' && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

/** Messages in the order they were sent (the server's ids grow with time). */
const byTime = (a: Message, b: Message): number => a.t - b.t || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

function Chat({ client, me, onOut }: { client: ParleyClient; me: User; onOut: () => void }) {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [names, setNames] = useState<Record<string, string>>({ [me._id]: me.login });
  const [current, setCurrent] = useState<string | undefined>(undefined);
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState('');
  const [peers, setPeers] = useState('');
  const [error, setError] = useState('');
  const currentRef = useRef<string | undefined>(undefined);
  const bottom = useRef<HTMLDivElement>(null);
  currentRef.current = current;

  const loadConversations = async (): Promise<void> => {
    const { conversations: list } = await client.request('conversation_list', { limit: 100 });
    setConversations(list);
    const unknown = [...new Set(list.map((c) => c.opponent_id === me._id ? c.owner_id : c.opponent_id).filter((id): id is string => id !== undefined && !(id in names)))];
    if (unknown.length > 0) {
      const { users } = await client.request('get_users_by_ids', { ids: unknown });
      setNames((old) => ({ ...old, ...Object.fromEntries(users.map((u) => [u._id, u.login])) }));
    }
  };

  useEffect(() => {
    loadConversations().catch((err: unknown) => setError(errorText(err)));
    const offMessage = client.on('message', (m) => {
      if (m.cid === currentRef.current) setMessages((old) => (old.some((x) => x._id === m._id) ? old : [...old, m].sort(byTime)));
      setConversations((old) => {
        if (!old.some((c) => c._id === m.cid)) loadConversations().catch((err: unknown) => setError(errorText(err)));
        return old;
      });
    });
    const offSystem = client.on('system_message', () => {
      loadConversations().catch((err: unknown) => setError(errorText(err)));
    });
    return () => {
      offMessage();
      offSystem();
    };
  }, [client]);

  useEffect(() => {
    if (current === undefined) return;
    setMessages([]);
    client.request('message_list', { cid: current, limit: 50 }).then(
      ({ messages: list }) => setMessages([...list].sort(byTime)),
      (err: unknown) => setError(errorText(err)),
    );
  }, [client, current]);

  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [messages]);

  const startChat = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError('');
    try {
      const logins = peers.split(',').map((s) => s.trim()).filter(Boolean);
      const ids: string[] = [];
      for (const login of logins) {
        const { users } = await client.request('user_search', { keyword: login, limit: 20 });
        const found = users.find((u) => u.login.toLowerCase() === login.toLowerCase());
        if (!found) throw new Error(`No user with the login "${login}"`);
        ids.push(found._id);
        setNames((old) => ({ ...old, [found._id]: found.login }));
      }
      if (ids.length === 0) return;
      const { conversation } = await client.request('conversation_create', ids.length === 1 ? { type: 'u', participants: ids } : { type: 'g', name: [me.login, ...logins].join(', '), participants: ids });
      setPeers('');
      await loadConversations();
      setCurrent(conversation._id);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    const body = text.trim();
    if (current === undefined || body === '') return;
    setText('');
    try {
      const ask = await client.send({ cid: current, body });
      const mine: Message = { _id: ask.server_mid, cid: current, from: me._id, t: ask.t, body, x: {}, created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
      setMessages((old) => (old.some((x) => x._id === mine._id) ? old : [...old, mine].sort(byTime)));
    } catch (err) {
      setError(errorText(err));
    }
  };

  const title = (c: Conversation): string => c.name ?? names[c.opponent_id === me._id ? c.owner_id : (c.opponent_id ?? '')] ?? 'private chat';
  const open = useMemo(() => conversations.find((c) => c._id === current), [conversations, current]);
  return (
    <div class="chat">
      <aside class="side">
        <header>
          Signed in as <strong data-me>{me.login}</strong>{' '}
          <button type="button" class="link" onClick={() => void client.logout().catch((err: unknown) => setError(errorText(err))).finally(onOut)}>Log out</button>
        </header>
        <form onSubmit={(e) => void startChat(e)}>
          <input name="peers" placeholder="Chat with (logins, comma-separated)" value={peers} onInput={(e) => setPeers(e.currentTarget.value)} />
          <button type="submit">Start chat</button>
        </form>
        <ul data-list="conversations">
          {conversations.map((c) => (
            <li key={c._id}>
              <button class={c._id === current ? 'active' : ''} onClick={() => setCurrent(c._id)}>{title(c)}</button>
            </li>
          ))}
        </ul>
      </aside>
      <section class="room">
        <header>{open ? title(open) : 'No chat open'}</header>
        {error !== '' && <p class="error" role="alert">{error}</p>}
        <div class="messages" data-list="messages">
          {current === undefined && <p class="empty">Start a chat with another login, or pick one on the left.</p>}
          {messages.map((m) => (
            <div key={m._id} class={m.from === me._id ? 'msg mine' : 'msg'} data-message={m._id}>
              <span class="who">{names[m.from] ?? m.from}</span>
              {m.body}
            </div>
          ))}
          <div ref={bottom} />
        </div>
        <form class="compose" onSubmit={(e) => void send(e)}>
          <input name="text" placeholder="Message" autocomplete="off" disabled={current === undefined} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <button type="submit" disabled={current === undefined}>Send</button>
        </form>
      </section>
    </div>
  );
}

function App() {
  const client = useMemo(newClient, []);
  const [me, setMe] = useState<User | undefined>(undefined);
  useEffect(() => () => client.close(), [client]);
  return me === undefined ? <Auth client={client} onIn={setMe} /> : <Chat client={client} me={me} onOut={() => setMe(undefined)} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
