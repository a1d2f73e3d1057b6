/**
 * @parley/client: a typed client for Parley, the SAMA-protocol chat server, for browsers and
 * Node.js. See README.md.
 */
export { ParleyClient } from './client.js';
export type { CatchUpOptions, ClientListeners, ClientState, EventMeta, OutgoingMessage, ParleyClientOptions, PasswordLogin, RequestOptions, TokenLogin } from './options.js';
export { ConnectionError, ParleyError, type ConnectionErrorCode } from './errors.js';
export { backoffDelay, type ReconnectOptions } from './backoff.js';
export type { FileData, FileToUpload } from './files.js';
export type { HttpLoginReply } from './http.js';
export type { FetchLike, StorageLike, WebSocketConstructor } from './runtime.js';
export * from './protocol.js';
