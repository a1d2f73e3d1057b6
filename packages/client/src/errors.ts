/**
 * Errors the client rejects with. Every one is an `Error`; check the class (or `code`) to tell
 * a refusal by the server from a connection problem.
 */

/** The server refused a request: SAMA's status and message (protocol.md §12), or a bare validator text. */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';

  constructor(
    /** The catalogued status (401, 403, 404, 422, …); undefined for a bare validator text such as `"cid" is required`. */
    readonly status: number | undefined,
    message: string,
    /** The packet (or HTTP route) that was refused. */
    readonly packet: string,
  ) {
    super(message);
  }

  /** Builds the error from a wire `error` value (`{status, message}` or a string). */
  static fromWire(error: unknown, packet: string): ParleyError {
    if (typeof error === 'string') return new ParleyError(undefined, error, packet);
    if (typeof error === 'object' && error !== null) {
      const { status, message } = error as { status?: unknown; message?: unknown };
      return new ParleyError(typeof status === 'number' ? status : undefined, typeof message === 'string' ? message : JSON.stringify(error), packet);
    }
    return new ParleyError(undefined, String(error), packet);
  }
}

/** Why a request could not be completed without an answer from the server. */
export type ConnectionErrorCode =
  /** No reply within the request's timeout. */
  | 'timeout'
  /** The connection dropped after the request was sent; it may or may not have been carried out. */
  | 'disconnected'
  /** The client was closed, or logged out. */
  | 'closed'
  /** The WebSocket could not be opened. */
  | 'unreachable'
  /** The client has no session (not logged in, or its token expired and could not be renewed). */
  | 'unauthenticated';

/** A request that ended without a reply from the server. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
