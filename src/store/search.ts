import type { MessageRecord } from './store.js';

/** What `MessageSearchStore.newestMatches` looks for (docs/protocol-extensions.md, Full-text search). */
export interface MessageSearchQuery {
  /**
   * Every phrase must occur in the body; a phrase is one word or several in a row. Words are
   * lower-cased runs of letters, digits and marks (domain/search.ts makes them).
   */
  readonly phrases: readonly (readonly string[])[];
  /** Only this conversation; otherwise every conversation the viewer takes part in. */
  readonly cid?: string;
  readonly limit: number;
}

/**
 * Full-text search over messages. The index follows every message write in the writer's own
 * transaction (store triggers), and never holds an encrypted message (one with
 * encrypted_message_type, or any message of an encrypted conversation). Relevance is ranked by
 * the caller (domain/search.ts) over what this returns, the same way on every store.
 */
export interface MessageSearchStore {
  /**
   * The viewer's newest `limit` matching messages, newest first, under message_list's rules:
   * only messages of `orgId`, only conversations the viewer is a participant of now, none
   * hidden for the viewer (delete for me, deleted_for). An unknown `cid`, or one the viewer is
   * not in, finds nothing.
   */
  newestMatches(orgId: string, viewerId: string, query: MessageSearchQuery): Promise<MessageRecord[]>;
}
