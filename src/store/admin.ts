/**
 * The operator's port (the admin CLI), part of the store interface (re-exported by store.ts).
 * Nothing on a request path uses it: its queries may scan whole tables, and its deletions work
 * in bounded batches so that removing a large organization never holds one huge transaction.
 * Same conventions as every store port.
 */
import type { OrganizationRecord, UserRecord } from './store.js';

/** An organization with the number of its users (for listings). */
export interface OrganizationSummary extends OrganizationRecord {
  readonly users: number;
}

/** Rows per table name, e.g. `{ messages: 120, users: 3 }`; tables without rows may be absent. */
export type RowCounts = Record<string, number>;

/** Which messages `deleteMessages` removes: those of one conversation, of one sender, or both. */
export interface MessageSelector {
  readonly cid?: string;
  readonly from?: string;
}

/** A page: at most `limit` items with an id greater than `afterId`, ascending. */
export interface Page {
  readonly limit: number;
  readonly afterId?: string;
}

/**
 * Listings and bulk removals for operators. Deleting an organization or a user is a loop of
 * bounded steps (messages by conversation, then table by table), driven by domain/erasure.ts;
 * a step that was interrupted is simply run again, since every step deletes what is left.
 * Every query names its organization, and rows of tables without an organization column are
 * found through the organization's users or conversations (ids are unique across
 * organizations), so nothing of another organization is ever touched.
 */
export interface AdminStore {
  /** Organizations by id, with their user counts. */
  organizations(page: Page): Promise<OrganizationSummary[]>;
  /** Users of one organization by id. */
  users(orgId: string, page: Page): Promise<UserRecord[]>;
  /**
   * Users whose login, e-mail or phone contains `text` (case-insensitive, matched literally),
   * in one organization or in all; ordered by organization, then login.
   */
  findUsers(query: { text: string; orgId?: string; limit: number }): Promise<UserRecord[]>;
  /** What the organization holds, per table (the organization row itself included). */
  countOrganization(orgId: string): Promise<RowCounts>;
  /**
   * What belongs to one user, per table: their account, tokens, messages sent, memberships,
   * files uploaded, statuses and reactions given, block-list rows either side, address book,
   * push subscriptions, pushes queued for them and push events sent, key bundles and inbox,
   * operations log.
   */
  countUser(orgId: string, userId: string): Promise<RowCounts>;
  /** Conversation ids of the organization, or with `userId` those the user participates in. */
  conversationIds(orgId: string, page: Page & { userId?: string }): Promise<string[]>;
  /** Object ids of the organization's files, or with `userId` of the files that user uploaded. */
  fileIds(orgId: string, page: Page & { userId?: string }): Promise<string[]>;
  /**
   * Deletes up to `limit` messages of the organization matching `which`, with their hidden
   * markers, statuses, reactions and encrypted-inbox rows, in one transaction. Returns how many
   * messages went; 0 means none are left. An empty selector is refused (it would mean all).
   */
  deleteMessages(orgId: string, which: MessageSelector, limit: number): Promise<number>;
  /**
   * Deletes the user's account and private rows in one transaction: tokens, block-list rows
   * either side, address book, push subscriptions, queued pushes to them and push events they
   * sent, key bundles with pre-keys and inbox, operations log. With `activity`, also their
   * memberships (participant counts kept exact), read statuses, reactions and hidden markers.
   * Messages and files are the caller's (deleteMessages, the file store). Returns what went.
   */
  deleteUserRows(orgId: string, userId: string, opts: { activity: boolean }): Promise<RowCounts>;
  /**
   * One step of deleting an organization: removes up to `limit` rows of the first table that
   * still has rows of it, in an order that leaves no row pointing at a removed one; the
   * organization row itself goes last. Returns the table and the count, or undefined when
   * nothing is left. `fromTable` (a table an earlier step returned) skips the tables before it,
   * which were empty then, so each step does not scan them again. Messages and files should go
   * first (deleteMessages per conversation, the file store after the bytes), which keeps each
   * step small.
   */
  deleteOrganizationRows(orgId: string, limit: number, fromTable?: string): Promise<{ table: string; count: number } | undefined>;
}
