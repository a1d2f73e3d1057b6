import type { GuardedInsert, MessageLink } from '../store.js';
import type { MessagesTable } from './schema.js';

/**
 * One message of a group-commit batch: MessageStore.insert's arguments, with `hiddenFor`
 * deduplicated. Hidden markers, pushes and inbox rows are written only if the message is new;
 * only a chaining writer looks at `guard`.
 */
export type MessageBatchItem = GuardedInsert;

/** A chaining writer did not insert the item: its view is outdated (see InsertGuard). */
export const STALE_VIEW = 'stale-view';

/**
 * A message inserted by a writer that orders messages across nodes: the id it was stored under
 * (the item's own, or one just after its conversation's previous message) and that previous one.
 */
export interface ChainedInsert {
  readonly id: string;
  readonly prev: MessageLink | null;
}

/**
 * Writes a batch in one transaction and resolves after it committed. Per item, in order: `null`
 * if the message was inserted, a ChainedInsert if it was inserted by a writer that chains
 * (see SqlStoreOptions.orderAcrossNodes), the stored row it duplicates (same cid, sender and
 * client id), or — from a chaining writer only — STALE_VIEW for an item whose guard's view is
 * outdated and for every later item of that conversation in the batch, none of them written.
 * Also moves each conversation's updated_at to its newest new message (never backwards). The
 * whole batch fails if any item is neither inserted nor a duplicate.
 */
export type MessageBatchWriter = (items: readonly MessageBatchItem[]) => Promise<(MessagesTable | ChainedInsert | typeof STALE_VIEW | null)[]>;
