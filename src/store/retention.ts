/**
 * Retention periods and the deletion of what outlived them (part of the store interface,
 * re-exported by store.ts). Same conventions as every store port.
 */

/** The periods that apply to some conversations of one organization, in seconds. */
export interface RetentionPeriods {
  /** The organization's default; null when none is set. */
  readonly organization: number | null;
  /** Conversation id → its own period, which replaces the default (longer or shorter); absent when none. */
  readonly conversations: ReadonlyMap<string, number>;
}

/** A message the sweep deleted, with what the caller needs to tell clients and release files. */
export interface ExpiredMessage {
  readonly id: string;
  readonly organization_id: string;
  readonly cid: string;
  readonly from: string;
  /** Object ids named by its attachments (`file_id`), in order, without repeats. */
  readonly fileIds: readonly string[];
}

/**
 * Retention periods per organization (scope ORGANIZATION_SCOPE, '*') and per conversation
 * (scope = the conversation id), and the bounded deletions the sweeper runs. A conversation's
 * period goes with the conversation when it is deleted.
 */
export interface RetentionStore {
  /** Sets the period of a scope (seconds), or clears it with null. Idempotent. */
  set(orgId: string, scope: string, seconds: number | null, now: number): Promise<void>;
  /** The organization's default and the own periods of those of `cids` that have one (one query). */
  periods(orgId: string, cids: readonly string[]): Promise<RetentionPeriods>;
  /**
   * Deletes up to `limit` messages created more than their conversation's effective period
   * before `now`, with their statuses, reactions, hidden markers and encrypted-inbox rows, in
   * one transaction, and returns them. Safe to run on several nodes at once: every deleted
   * message is returned to exactly one caller (PostgreSQL skips rows another sweep has
   * locked), so only one node tells clients about it. An empty result means nothing is due.
   */
  sweepMessages(now: number, limit: number): Promise<ExpiredMessage[]>;
  /**
   * After messages of `cid` were deleted: unlinks from `cid` those of `objectIds` that no
   * remaining message of the conversation names and that are not its image, and returns the
   * ones now linked nowhere (no conversation, not an avatar) — files nobody can reach through
   * a message any more, for the caller to delete (bytes first, then FileStore.delete).
   */
  releaseFiles(orgId: string, cid: string, objectIds: readonly string[]): Promise<string[]>;
}
