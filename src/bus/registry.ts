import type { Session } from '../domain/session.js';

/** One bound device as the cluster registry records it. */
export interface RegisteredSession extends Session {
  /** The node whose socket holds the session. */
  readonly nodeId: string;
  /** The device is backgrounded (`activity_status`): it still gets packets, and pushes. */
  readonly inactive: boolean;
}

/**
 * The cluster's registry of bound sessions (design.md, "Cluster"): which device of which user is
 * connected to which node. Each node writes only its own entries and keeps itself alive with a
 * heartbeat; a node whose heartbeat lapses is dead, and `reapDead` removes its entries exactly
 * once cluster-wide, returning them so the caller can announce those users offline.
 *
 * It is the truth other nodes rebuild their view from; it is not a durable copy of anything the
 * store holds, and losing it (a Redis restart) is repaired by each node writing its own entries
 * again (`republish`).
 */
export interface SessionRegistry {
  readonly nodeId: string;
  /** Records this node's session; replaces an entry of the same device on this node. */
  register(session: Session, inactive: boolean): Promise<void>;
  /** Removes this node's entry of the device, if any. */
  unregister(session: Session): Promise<void>;
  /**
   * Brings this registry's copy of the other nodes' entries up to date, reading from each live
   * node only what changed since the last call (all of it the first time, after the node's
   * entries were rewritten, or when more changed than the node's change log keeps). A node read
   * whole may be read in several steps, without holding the backend or the caller's event loop
   * for all of it; its copy is still exact as of the end of the read, writes made meanwhile
   * included. Calls must not overlap: await one before starting the next (it rejects otherwise).
   */
  refresh(): Promise<RegistryRefresh>;
  /**
   * Removes the entries of nodes whose heartbeat lapsed and returns them; each dead node is
   * reaped by one caller. Calls must not overlap: await one before starting the next.
   */
  reapDead(): Promise<{ nodeId: string; sessions: RegisteredSession[] }[]>;
  /** Writes all of this node's sessions again (after the registry lost them). */
  republish(sessions: readonly { session: Session; inactive: boolean }[]): Promise<void>;
  /** Stops the heartbeat and removes this node's entries (a clean shutdown hands over at once). */
  close(): Promise<void>;
}

/** What `SessionRegistry.refresh` found. */
export interface RegistryRefresh {
  /** Ids of the nodes whose heartbeat is current, sorted. */
  readonly live: readonly string[];
  /** Entries added or changed (the background flag) since the last refresh, on live nodes. */
  readonly changed: readonly RegisteredSession[];
  /** Entries removed since the last refresh, on the nodes read by their changes. */
  readonly removed: readonly RegisteredSession[];
  /** Nodes read whole this time: all their entries are in `changed`, and any other is gone. */
  readonly wholeNodes: readonly string[];
  /**
   * Live nodes that had to be read whole and could not be this time: their entries changed
   * beyond what the read could follow (rewritten again, or more writes than the change log
   * keeps, several times over), or they have no entries to trust (the backend lost them and the
   * node has not written them back yet). Nothing of theirs is in `changed` or `removed`, `has`
   * answers false for them, and the next refresh reads them whole again. A caller must not take
   * `has` as a sign-out of their devices.
   */
  readonly unread: readonly string[];
  /**
   * Whether the registry holds this device on this node, as of this refresh (and of later ones:
   * it reads the registry's current copy).
   */
  readonly has: (nodeId: string, orgId: string, userId: string, deviceId: string) => boolean;
}
