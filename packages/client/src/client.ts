import { ConnectionError } from './errors.js';
import { announcement, attachmentOf, putFile, type FileToUpload } from './files.js';
import { httpLogin, httpLogout } from './http.js';
import type { ClientListeners, ClientState, OutgoingMessage, PasswordLogin, RequestOptions, TokenLogin } from './options.js';
import type { Ask, Attachment, PacketName, Replies, Requests, UploadedFile, User } from './protocol.js';
import { Session } from './session.js';

/** Packets the server accepts before login. */
const BEFORE_LOGIN = new Set<string>(['ping', 'user_create', 'user_login', 'connect', 'user_send_otp', 'user_reset_password']);

/**
 * A Parley (SAMA protocol) client for browsers and Node.js.
 *
 * - `request(name, body)` sends any packet and resolves with its typed reply, or rejects with a
 *   `ParleyError` (the server's status and message) or a `ConnectionError`.
 * - `send(message)` sends a chat message through an outbox: it is kept until the server
 *   acknowledges it and sent again, with its original `id`, after every reconnection. The server
 *   stores one message per id, so each message is stored exactly once.
 * - After a login, a dropped connection is reopened with exponential backoff and full jitter, the
 *   session resumed with the access token (renewed through `POST /login` after an HTTP login),
 *   and the events missed meanwhile are read back (operations log and recent messages) and handed
 *   to `on()` listeners with `source: 'catchup'`; an event is never handed on twice.
 */
export class ParleyClient extends Session {
  /** Where the client is (see ClientState). */
  get state(): ClientState {
    return this.current;
  }

  /** The logged-in user (undefined before login). */
  get user(): User | undefined {
    return this.me;
  }

  /** The access token of the session (undefined before login); `login({ token })` resumes with it. */
  get token(): string | undefined {
    return this.accessToken;
  }

  /** Messages sent and not yet acknowledged, oldest first, each with its client `id`. */
  get pendingMessages(): readonly OutgoingMessage[] {
    return this.outbox.messages;
  }

  /**
   * The server time (ms) from which a catch-up would read if the connection dropped now. An app
   * that saves it when it stops and passes it as `catchUp.since` next time gets what it missed.
   */
  get catchUpCursor(): number | undefined {
    return this.wire ? this.feed.serverTime(this.wire.lastFrameAt) - this.margin : this.since;
  }

  /** Adds an event listener; returns a function that removes it. */
  on<K extends keyof ClientListeners>(name: K, listener: ClientListeners[K]): () => void {
    return this.listeners.on(name, listener);
  }

  /** Adds a listener called at most once; returns a function that removes it. */
  once<K extends keyof ClientListeners>(name: K, listener: ClientListeners[K]): () => void {
    return this.listeners.once(name, listener);
  }

  /** Removes a listener. */
  off<K extends keyof ClientListeners>(name: K, listener: ClientListeners[K]): void {
    this.listeners.off(name, listener);
  }

  /**
   * Logs in over the WebSocket: by password (`user_login`), or with an access token from an
   * earlier login (`connect`, then the user is read back). Opens the connection if needed. From
   * then on the client keeps the session up until `logout()` or `close()`.
   */
  login(credentials: PasswordLogin | TokenLogin, options: RequestOptions = {}): Promise<User> {
    return this.loggingIn(async () => {
      const wire = await this.connected(options);
      this.holdForCatchUp();
      if ('token' in credentials) {
        await wire.call('connect', { token: credentials.token, device_id: this.deviceId }, this.nextId(), this.timeout(options), options.signal);
        this.accessToken = credentials.token;
        return this.self(wire, credentials.token, options);
      }
      const body = { organization_id: credentials.organizationId ?? this.organization, login: credentials.login, password: credentials.password, device_id: this.deviceId };
      const reply = await wire.call('user_login', body, this.nextId(), this.timeout(options), options.signal);
      this.accessToken = reply.token;
      return reply.user;
    }, false);
  }

  /**
   * Logs in through `POST /login` (protocol.md §2.2, §10.2), then binds the WebSocket with
   * `connect`. With a password it is a password login; without, the session is renewed from the
   * refresh cookie (browsers keep it, HttpOnly; in Node.js the client keeps it in memory) or the
   * current access token. Expired access tokens are renewed the same way on reconnection.
   */
  loginWithHttp(credentials?: PasswordLogin, options: RequestOptions = {}): Promise<User> {
    const body: Record<string, unknown> = { device_id: this.deviceId };
    if (credentials) Object.assign(body, { organization_id: credentials.organizationId ?? this.organization, login: credentials.login, password: credentials.password });
    return this.loggingIn(async () => {
      const reply = await httpLogin(this.http, body, credentials ? undefined : this.accessToken, this.jar, options.signal);
      this.accessToken = reply.access_token;
      const wire = await this.connected(options);
      this.holdForCatchUp();
      await wire.call('connect', { token: reply.access_token, device_id: this.deviceId }, this.nextId(), this.timeout(options), options.signal);
      return reply.user;
    }, true);
  }

  /**
   * Ends the session: `POST /logout` after an HTTP login, else `user_logout`. Messages still in
   * the outbox are rejected. The client can log in again afterwards.
   */
  async logout(options: RequestOptions = {}): Promise<void> {
    const token = this.accessToken;
    try {
      if (this.httpSession && token !== undefined) await httpLogout(this.http, token, this.jar, options.signal);
      else if (this.current === 'ready' && this.wire) await this.wire.call('user_logout', {}, this.nextId(), this.timeout(options), options.signal);
    } finally {
      this.endSession('idle', new ConnectionError('closed', 'logged out'));
    }
  }

  /** Closes the connection for good: pending requests and unacknowledged messages are rejected. */
  close(): void {
    this.endSession('closed', new ConnectionError('closed', 'the client was closed'));
  }

  /**
   * Sends a packet and resolves with its reply (typed from the server's schemas). Waits for the
   * session, across reconnections, within the timeout. `message` goes through `send()`; use
   * `typing()` for typing notices, which have no reply.
   */
  async request<K extends Exclude<PacketName, 'typing'>>(name: K, body: Requests[K], options: RequestOptions = {}): Promise<Replies[K]> {
    if (name === 'message') return (await this.send(body as OutgoingMessage, options)) as Replies[K];
    this.assertOpen();
    const deadline = Date.now() + this.timeout(options);
    const wire = this.current === 'ready' && this.wire ? this.wire : BEFORE_LOGIN.has(name) && !this.keepSession ? await this.connected(options) : await this.whenReady(deadline, options.signal);
    // system_message is acknowledged by an `ask` carrying its own id.
    const id = name === 'system_message' ? (body as Requests['system_message']).id : this.nextId();
    return wire.call(name, body, id, Math.max(1, deadline - Date.now()), options.signal);
  }

  /**
   * Sends a chat message and resolves with its acknowledgement once the server has stored it.
   * The message gets a client `id` if it has none; it stays in the outbox until acknowledged and
   * is sent again with the same id after a reconnection, so it is stored exactly once. Without a
   * timeout it waits as long as the session lasts; a timeout or an abort only stops waiting (if
   * the message was already sent it may still be stored — resending it with the same id is safe).
   */
  send(message: OutgoingMessage, options: RequestOptions = {}): Promise<Ask> {
    if (this.current === 'closed') return Promise.reject(new ConnectionError('closed', 'the client was closed'));
    const body = { ...message, id: message.id ?? this.messageId() };
    if (this.outbox.has(body.id)) return Promise.reject(new TypeError(`message ${body.id} is already being sent`));
    this.feed.remember(body.cid);
    return this.outbox.add(body, options, (b) => this.transmit(b));
  }

  /** Sends a typing notice (`start` or `stop`); it has no reply, a refusal comes as an `error` event. */
  typing(cid: string, status: 'start' | 'stop' | (string & {}) = 'start'): void {
    if (this.current === 'ready') this.wire?.send({ typing: { cid, status } });
  }

  /**
   * Uploads files (protocol.md §9): announces them with `create_files` (up to 10 at a time) and
   * PUTs each one's bytes to its upload URL. Resolves with the file records; `attachment()` turns
   * one into a message attachment.
   */
  async uploadFiles(files: readonly FileToUpload[], options: RequestOptions = {}): Promise<UploadedFile[]> {
    const out: UploadedFile[] = [];
    for (let i = 0; i < files.length; i += 10) {
      const chunk = files.slice(i, i + 10);
      const { files: announced } = await this.request('create_files', chunk.map(announcement), options);
      await Promise.all(announced.map((f, j) => putFile(this.http.fetch, f, (chunk[j] as FileToUpload).data, options.signal)));
      out.push(...announced);
    }
    return out;
  }

  /** Uploads one file; see uploadFiles. */
  async uploadFile(file: FileToUpload, options: RequestOptions = {}): Promise<UploadedFile> {
    const [uploaded] = await this.uploadFiles([file], options);
    if (!uploaded) throw new Error('create_files answered no file');
    return uploaded;
  }

  /** The attachment referring to an uploaded file, for `send({ cid, attachments: [...] })`. */
  attachment(file: UploadedFile, extra: Omit<Attachment, 'file_id'> = {}): Attachment {
    return attachmentOf(file, extra);
  }

  /** Signed download URLs of files by id (`get_file_urls`, 10 ids a request). */
  async fileUrls(fileIds: readonly string[], options: RequestOptions = {}): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (let i = 0; i < fileIds.length; i += 10) Object.assign(out, (await this.request('get_file_urls', { file_ids: fileIds.slice(i, i + 10) }, options)).file_urls);
    return out;
  }
}
