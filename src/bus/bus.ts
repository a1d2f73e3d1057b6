/**
 * The bus port (design.md, "Cluster"): how nodes ring each other. It is a bell, never a log:
 * delivery is at most once — a subscriber that is disconnected, restarting or too slow misses
 * what was published meanwhile — so nothing may be sent over it that is not also in the store
 * or rebuilt from it. What it does promise:
 *
 * - every live subscriber of a topic gets each payload published to that topic, the publisher's
 *   own subscriptions included, with the publishing node's id and the time it was published;
 * - payloads from one publisher on one topic arrive in the order they were published;
 * - a subscription is live once `subscribe` has resolved, and ends when its `unsubscribe` has;
 * - `publish` never throws for a lost connection: while the bus is down the payload is dropped
 *   and `healthy` is false, and subscriptions come back by themselves when it recovers.
 *
 * Topics are plain names; the cluster uses one per node (`node:<id>`) and one every node hears.
 */
export interface Bus {
  /** This node's id, carried with every payload it publishes. */
  readonly nodeId: string;
  /** False while the bus cannot carry payloads (Redis unreachable); readiness reports it. */
  readonly healthy: boolean;
  /** Publishes `payload` to every subscriber of `topic`; resolves once handed to the transport. */
  publish(topic: string, payload: string): Promise<void>;
  /** Calls `handler` for every payload on `topic` until the returned function is called. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  /**
   * Calls `listener` each time this node's connection to the bus comes back after it was lost
   * (and its subscriptions are live again), with when it was lost (ms): what was published to or
   * by this node in between may be gone, and is to be read back from the store.
   */
  onRecovered(listener: (downSince: number) => void): void;
  /** Ends every subscription and the connections behind them. */
  close(): Promise<void>;
}

/** What a subscriber learns with each payload. */
export interface BusEnvelope {
  readonly payload: string;
  /** Id of the publishing node (the receiver's own for its own publications). */
  readonly from: string;
  /** Publisher's clock at publish time, ms since epoch (bus lag = receiver's now − this). */
  readonly sentAt: number;
}

/** A subscriber's callback. It must not throw; a thrown error is reported and dropped. */
export type BusHandler = (envelope: BusEnvelope) => void;

/** Counts the bus reports (wired to /metrics by the composition root). */
export interface BusObserver {
  published(topic: string, bytes: number): void;
  received(topic: string, bytes: number, lagMs: number): void;
  handlerFailed(topic: string, err: unknown): void;
}

/** An observer that records nothing. */
export const silentBusObserver: BusObserver = {
  published: () => undefined,
  received: () => undefined,
  handlerFailed: () => undefined,
};
