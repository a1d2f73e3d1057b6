import { randomBytes } from 'node:crypto';
import { TestClient, type Frame } from './client.js';

/** A user made by a round trip, with what logs it in again. */
export interface ChatUser {
  readonly id: string;
  readonly login: string;
  readonly password: string;
}

/** What one round trip proved: the two users and the message the second one received. */
export interface ChatCheck {
  readonly sender: ChatUser;
  readonly recipient: ChatUser;
  readonly messageId: string;
}

/**
 * Checks that a running Parley (a process, a container, a load balancer) serves chat end to end
 * over its real WebSocket: signs up two new users in the `default` organization, logs both in,
 * opens a 1:1 conversation and sends a message, which must be acked and delivered to the other
 * user's socket. Throws with the offending reply when a step fails. Logins are random, so it can
 * run again against the same data.
 */
export async function chatRoundTrip(wsUrl: string, timeoutMs = 5000): Promise<ChatCheck> {
  const suffix = randomBytes(4).toString('hex');
  const sockets: TestClient[] = [];
  const must = (reply: Frame, what: string, ok: (r: Frame) => unknown): Frame => {
    if (!ok(reply)) throw new Error(`${what} failed: ${JSON.stringify(reply)}`);
    return reply;
  };
  try {
    const users: (ChatUser & { socket: TestClient })[] = [];
    for (const name of ['alice', 'bob']) {
      const socket = await TestClient.open(wsUrl);
      sockets.push(socket);
      const login = `${name}-${suffix}`;
      const password = `pw-${suffix}-${name}`;
      const created = must(await socket.request('user_create', { organization_id: 'default', login, password, email: `${login}@example.com` }), 'user_create', (r) => r.user?._id);
      must(await socket.request('user_login', { organization_id: 'default', login, password, device_id: `${name}-device` }), 'user_login', (r) => r.token);
      users.push({ id: (created.user as Frame)._id as string, login, password, socket });
    }
    const [alice, bob] = users as [ChatUser & { socket: TestClient }, ChatUser & { socket: TestClient }];
    const created = must(await alice.socket.request('conversation_create', { type: 'u', participants: [bob.id] }), 'conversation_create', (r) => r.conversation?._id);
    const cid = (created.conversation as Frame)._id as string;
    const body = `hello over the wire ${suffix}`;
    alice.socket.send({ message: { id: `m-${suffix}`, cid, body } });
    const ask = await alice.socket.next((f) => f.ask?.mid === `m-${suffix}` || f.message?.error !== undefined, timeoutMs);
    must(ask, 'message', (r) => r.ask?.server_mid);
    const got = await bob.socket.next((f) => f.message?.body === body, timeoutMs);
    const messageId = (got.message as Frame)._id as string;
    if (messageId !== (ask.ask as Frame).server_mid || (got.message as Frame).from !== alice.id) throw new Error(`delivered message does not match the ack: ${JSON.stringify({ ask, got })}`);
    const user = ({ id, login, password }: ChatUser): ChatUser => ({ id, login, password });
    return { sender: user(alice), recipient: user(bob), messageId };
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

/**
 * Logs `user` in again (a fresh socket, `user_login`) and checks that the history of its
 * conversations holds `messageId`: the data outlived whatever happened in between (a restart,
 * a new container on the same volume).
 */
export async function historyKept(wsUrl: string, user: ChatUser, messageId: string): Promise<void> {
  const socket = await TestClient.open(wsUrl);
  try {
    const login = await socket.request('user_login', { organization_id: 'default', login: user.login, password: user.password, device_id: 'again' });
    if (!login.token) throw new Error(`user_login of ${user.login} failed: ${JSON.stringify(login)}`);
    const list = await socket.request('conversation_list', {});
    const cids = ((list.conversations ?? []) as Frame[]).map((c) => c._id as string);
    for (const cid of cids) {
      const messages = await socket.request('message_list', { cid });
      if (((messages.messages ?? []) as Frame[]).some((m) => m._id === messageId)) return;
    }
    throw new Error(`message ${messageId} is not in the history of ${user.login} (conversations: ${JSON.stringify(list)})`);
  } finally {
    await socket.close();
  }
}
