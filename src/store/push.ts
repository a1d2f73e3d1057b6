/**
 * Push ports (protocol.md §7, §11.12–11.13), part of the store interface (re-exported by
 * store.ts, which callers import). Same conventions as every store port.
 */

export interface PushOutboxRecord {
  readonly _id: string;
  readonly organization_id: string;
  /** The recipient. */
  readonly user_id: string;
  /** JSON text of the push payload (protocol.md §7.2). */
  readonly payload: string;
  readonly created_at: number;
}

/** An outbox row as the push worker sees it. */
export interface PendingPush extends PushOutboxRecord {
  /**
   * Tries started so far. A claim counts its try, so a row whose sending kills the process
   * still runs out of attempts instead of being retried for ever.
   */
  readonly attempts: number;
  /** Subscription ids this push already reached in earlier tries (never sent to again). */
  readonly sent_to: readonly string[];
}

/**
 * The durable push outbox: one row per (push, recipient), written in the same transaction as
 * the message or push event that caused it, so a crash after the ack cannot lose a push. The
 * push worker leases due rows with `claim`, sends, then removes them (`markSent`) or schedules a
 * retry (`markFailed`). A leased row is invisible to other claims until its lease ends, so a
 * worker that dies mid-send lets the row be claimed again after the lease: at most the rows that
 * were in flight are sent twice.
 */
export interface PushOutboxStore {
  /** Due rows (next attempt at or before `now`), oldest first, without leasing them. */
  pending(limit: number, now: number): Promise<PendingPush[]>;
  /**
   * Atomically leases up to `limit` due rows until `leaseUntil`, counts a try for each, and
   * returns them (attempts included) oldest first. Concurrent claims (other nodes) never return
   * the same row while its lease runs.
   */
  claim(limit: number, now: number, leaseUntil: number): Promise<PendingPush[]>;
  /** Adds rows outside a message transaction (conversation events, written after their commit); a row whose id is already stored is skipped. */
  enqueue(rows: readonly PushOutboxRecord[]): Promise<void>;
  /** The push is finished (delivered, or given up); removes the row. */
  markSent(id: string): Promise<void>;
  /**
   * A try failed for some subscriptions: records `sentTo` (every
   * subscription reached so far, replacing the stored list when given) and makes the row due
   * again at `nextAttemptAt`, which also ends its lease.
   */
  markFailed(id: string, nextAttemptAt: number, sentTo?: readonly string[]): Promise<void>;
  /** Number of rows waiting (for /metrics). */
  count(): Promise<number>;
  /** Counts by state and the oldest rows (operators: `push inspect`), of one organization or all. */
  stats(now: number, orgId?: string): Promise<PushOutboxStats>;
  /** Rows oldest first (by id), with their state at `now` (operators: `push list`). */
  list(query: PushOutboxQuery, now: number): Promise<PushOutboxEntry[]>;
  /**
   * Makes rows that have been tried and wait for their next try due at `now` (operators, after
   * fixing push credentials); with `resetAttempts` they also get all their tries back. A row in
   * the middle of a try cannot be told from one waiting for a retry, so it may be sent once more.
   * Returns how many rows changed.
   */
  retryNow(now: number, query: { orgId?: string; ids?: readonly string[]; resetAttempts?: boolean }): Promise<number>;
  /**
   * Removes up to `limit` rows created before `createdBefore` (all ages when absent), of one
   * organization or all, oldest first; returns how many (0: none left). Operators call it in a loop.
   */
  purge(query: { createdBefore?: number; orgId?: string }, limit: number): Promise<number>;
}

/**
 * The state of an outbox row at some moment. Sent and given-up pushes are removed from the
 * outbox, so these are the only states a row has: `new` (never tried, due), `due` (tried before,
 * due again), `waiting` (tried; its next try, or the lease of a try in progress, is in the future).
 */
export type PushOutboxState = 'new' | 'due' | 'waiting';

export interface PushOutboxStats {
  readonly total: number;
  readonly byState: Readonly<Record<PushOutboxState, number>>;
  /** created_at of the oldest row, if any. */
  readonly oldestCreatedAt: number | null;
  /** created_at of the oldest row that is due (new or due), if any: how far sending lags. */
  readonly oldestDueCreatedAt: number | null;
  /** The most tries any row has had. */
  readonly maxAttempts: number;
}

export interface PushOutboxQuery {
  readonly limit: number;
  readonly afterId?: string;
  readonly orgId?: string;
  readonly userId?: string;
  readonly state?: PushOutboxState;
}

/** An outbox row as operators see it. */
export interface PushOutboxEntry extends PendingPush {
  readonly next_attempt_at: number;
  readonly state: PushOutboxState;
}

export type PushPlatform = 'web' | 'ios' | 'android';

/** A device's push subscription (protocol.md §11.12). */
export interface PushSubscriptionRecord {
  readonly _id: string;
  readonly organization_id: string;
  readonly user_id: string;
  readonly platform: PushPlatform;
  readonly device_udid: string;
  /** Web Push only: endpoint URL and the browser's keys (base64url). */
  readonly web_endpoint: string | null;
  readonly web_key_auth: string | null;
  readonly web_key_p256dh: string | null;
  /** APNs / FCM only: the device token. */
  readonly device_token: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Push subscriptions: at most one per (user, device_udid). */
export interface PushSubscriptionStore {
  /**
   * Stores the device's subscription, replacing the one the same (user, device_udid) had (its
   * `_id` and `created_at` are kept). The same endpoint or token registered by another user of
   * the organization is removed: a device delivers to whoever subscribed on it last.
   */
  upsert(sub: PushSubscriptionRecord): Promise<PushSubscriptionRecord>;
  /** The user's subscriptions, oldest first. */
  forUser(orgId: string, userId: string): Promise<PushSubscriptionRecord[]>;
  /** Removes one device's subscription; true if there was one. */
  deleteDevice(orgId: string, userId: string, deviceUdid: string): Promise<boolean>;
  /** Removes every subscription of a user (account deletion). */
  deleteUser(orgId: string, userId: string): Promise<void>;
  /** Removes a subscription by id (the push service said it is gone); true if it existed. */
  deleteById(id: string): Promise<boolean>;
}

/** A push event (protocol.md §11.13): who pushed what to whom. */
export interface PushEventRecord {
  readonly _id: string;
  readonly organization_id: string;
  /** The sender. */
  readonly user_id: string;
  readonly user_ids: readonly string[];
  /** Base64 of the JSON payload. */
  readonly message: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Push events created with push_event_create. */
export interface PushEventStore {
  /** Stores the event and its outbox rows (one per recipient) in one transaction. */
  create(event: PushEventRecord, pushes: readonly PushOutboxRecord[]): Promise<void>;
}
