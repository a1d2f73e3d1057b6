/** The identity bound to one socket (protocol.md §2.1): one user on one device in one org. */
export interface Session {
  readonly orgId: string;
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * What handlers may ask of the live-connection layer without holding sockets. Implemented by
 * transport/sessions.ts (this node) and, in a cluster, by transport/cluster-sessions.ts.
 */
export interface SessionDirectory {
  /** True if any device of the user is connected. */
  isOnline(orgId: string, userId: string): boolean;
  /** User ids of the organization with at least one connected device. */
  onlineUserIds(orgId: string): string[];
  /** True when the user should get a push: no device connected, or some device backgrounded. */
  needsPush(orgId: string, userId: string): boolean;
  /** Unbinds the socket of one device (logout over HTTP); the socket stays open. */
  endDevice(orgId: string, userId: string, deviceId: string): void;
}
