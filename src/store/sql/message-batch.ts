import type { MessagesTable } from './schema.js';

/** One message of a group-commit batch, as rows ready for the tables. */
export interface MessageBatchItem {
  readonly row: MessagesTable;
  /** message_hidden rows (deduplicated), written only if the message is new. */
  readonly hidden: readonly { mid: string; user_id: string; cid: string }[];
  /** push_outbox rows, written only if the message is new. */
  readonly pushes: readonly { id: string; organization_id: string; user_id: string; payload: string; created_at: number }[];
}

/**
 * Writes a batch in one transaction and resolves after it committed. Per item, in order: `null`
 * if the message was inserted, or the stored row it duplicates (same cid, sender and client id).
 * Also moves each conversation's updated_at to its newest new message (never backwards). The
 * whole batch fails if any item is neither inserted nor a duplicate.
 */
export type MessageBatchWriter = (items: readonly MessageBatchItem[]) => Promise<(MessagesTable | null)[]>;
