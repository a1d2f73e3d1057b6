import type { Kysely, Transaction } from 'kysely';
import type { MessageBatchWriter } from './message-batch.js';
import type { SendViewCache } from './send-view-cache.js';
import type { Database } from './schema.js';

/**
 * What the shared SQL code needs to know about the engine underneath. Each dialect folder
 * (store/sqlite, store/postgres) supplies one.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** If `err` is a unique-key violation, the engine's text naming the key (columns or index); else undefined. */
  uniqueViolation(err: unknown): string | undefined;
}

/** Deletes rows that belong to a conversation, inside the transaction that deletes it. */
export type ConversationCleanup = (trx: Transaction<Database>, conversationId: string) => Promise<void>;

/** A Kysely handle plus its dialect facts; what every table module is built from. */
export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /**
   * Tables keyed by conversation (messages, statuses, reactions, ...) register a cleanup here so
   * deleting a conversation removes them in the same transaction.
   */
  readonly conversationCleanup?: readonly ConversationCleanup[];
  /** Writes message batches instead of a Kysely transaction (SQLite: a writer thread). */
  readonly messageWriter?: MessageBatchWriter;
  /**
   * Several nodes write this database (a cluster): message inserts lock their conversation and
   * chain each message to the previous one (see MessageInsert.prev). Off for one node, where the
   * process keeps each conversation's order and the lock would only cost time.
   */
  readonly orderAcrossNodes?: boolean;
  /** With orderAcrossNodes: this node's cache of send views (SendViewCache). */
  readonly sendViews?: SendViewCache;
  /**
   * Brings the search index up to every committed message before a search reads it (SQLite,
   * where indexing runs after the commit; see migration 20). Absent: the index is written in
   * the message's own transaction.
   */
  readonly searchIndexCatchUp?: () => Promise<void>;
}

/** Escapes LIKE wildcards so user text is matched literally (used with `escape '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Parses a JSON text column, tolerating NULL. */
export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
