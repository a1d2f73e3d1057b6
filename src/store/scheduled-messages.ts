/**
 * Scheduled messages (docs/protocol-extensions.md, "Scheduled messages"): part of the store
 * interface (re-exported by store.ts, which callers import). Same conventions as every store port.
 */

/** `pending` until the dispatcher has sent it (`sent`) or found it may not be sent (`failed`). */
export type ScheduledState = 'pending' | 'sent' | 'failed';

/** A schedule as written by `parley_message_schedule`. */
export interface ScheduledMessageRecord {
  /** Server id of the schedule row (newId()); never on the wire. */
  readonly _id: string;
  readonly organization_id: string;
  /** The author: the message is sent as this user. */
  readonly from: string;
  readonly cid: string;
  /** The client's message id: it names the schedule on the wire and becomes the message's `id`. */
  readonly client_id: string;
  /** The `message` packet body to send (cid, body, attachments, x, id included). */
  readonly content: Readonly<Record<string, unknown>>;
  /** When to send it, epoch ms. */
  readonly send_at: number;
  readonly created_at: number;
}

/** A stored schedule with its progress. */
export interface ScheduledMessage extends ScheduledMessageRecord {
  readonly state: ScheduledState;
  /** Claims so far (a claim counts, so a row whose send kills its node runs out of tries). */
  readonly attempts: number;
  /** The node that claimed it last (kept after its lease, for operators and tests). */
  readonly claimed_by: string | null;
  /** The stored message's id once sent. */
  readonly server_mid: string | null;
  /** Why it was not sent (`failed`): the error the send got, e.g. "Forbidden.". */
  readonly error: string | null;
  /** When it was sent or failed. */
  readonly finished_at: number | null;
}

/** What `ScheduledMessageStore.insert` did. */
export type ScheduleInsert =
  | { readonly kind: 'created'; readonly record: ScheduledMessage }
  /** The author already has a schedule with this client id (any state): nothing written. */
  | { readonly kind: 'exists'; readonly record: ScheduledMessage }
  /** The author already has `maxPending` pending schedules: nothing written. */
  | { readonly kind: 'limit' };

/**
 * Scheduled messages and their dispatch lease. Rows are claimed by any node's dispatcher with
 * `claim`: a claimed row stays pending but is invisible to other claims until its lease runs out,
 * so a node that dies mid-send lets another node take the row after the lease. The message's id
 * is fixed at schedule time and the message store keeps one message per (cid, sender, client id),
 * so a row sent twice (a node dying between the insert and `finish`) is stored and delivered once.
 */
export interface ScheduledMessageStore {
  /**
   * Stores a pending schedule, unless the author has one with the same client id (`exists`) or
   * already has `maxPending` pending ones (`limit`). The count and the insert are atomic per
   * author (SQLite: one writer; PostgreSQL: the author's user row is locked).
   */
  insert(row: ScheduledMessageRecord, maxPending: number): Promise<ScheduleInsert>;
  /** The author's pending schedules, by send_at then id, optionally of one conversation, after a cursor. */
  list(orgId: string, userId: string, query: { readonly cid?: string; readonly after?: { readonly sendAt: number; readonly id: string }; readonly limit: number }): Promise<ScheduledMessage[]>;
  /** The author's schedule with this client id, in any state. */
  byClientId(orgId: string, userId: string, clientId: string): Promise<ScheduledMessage | undefined>;
  /**
   * Removes the author's pending schedule with this client id, unless a dispatcher holds it (its
   * lease runs at `now`: it is being sent). True if one was removed.
   */
  cancel(orgId: string, userId: string, clientId: string, now: number): Promise<boolean>;
  /**
   * When the next claim may find work: the earliest send_at of the pending rows, or the end of
   * a row's lease where that is later; null when nothing is pending.
   */
  nextDue(): Promise<number | null>;
  /**
   * Atomically leases up to `limit` pending rows that are due at `now` and not leased (or whose
   * lease ended) until `leaseUntil` for `owner`, counts a try for each, and returns them by
   * send_at. Concurrent claims (other nodes) never return the same row while its lease runs.
   */
  claim(limit: number, now: number, leaseUntil: number, owner: string): Promise<ScheduledMessage[]>;
  /** Records the outcome of a claimed row: sent (with the message id) or failed (with the reason). */
  finish(id: string, outcome: { readonly state: 'sent'; readonly serverMid: string } | { readonly state: 'failed'; readonly error: string }, now: number): Promise<void>;
  /** Removes up to `limit` sent or failed rows that finished before `before`; returns how many. */
  sweep(before: number, limit: number): Promise<number>;
}
