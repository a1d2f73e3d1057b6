import type { MessageRecord } from '../store.js';
import type { PushOutboxRecord } from '../push.js';
import type { MessagesTable } from './schema.js';

/** One message of a group-commit batch. */
export interface MessageBatchItem {
  readonly record: MessageRecord;
  /** Users the message is hidden from (deduplicated); written only if the message is new. */
  readonly hiddenFor: readonly string[];
  /** Push outbox rows, written only if the message is new. */
  readonly pushes: readonly PushOutboxRecord[];
}

/**
 * Writes a batch in one transaction and resolves after it committed. Per item, in order: `null`
 * if the message was inserted, or the stored row it duplicates (same cid, sender and client id).
 * Also moves each conversation's updated_at to its newest new message (never backwards). The
 * whole batch fails if any item is neither inserted nor a duplicate.
 */
export type MessageBatchWriter = (items: readonly MessageBatchItem[]) => Promise<(MessagesTable | null)[]>;
