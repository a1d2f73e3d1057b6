/**
 * Conversation handler port (protocol.md §3.5, §8, §11.15), part of the store interface
 * (re-exported by store.ts, which callers import). Same conventions as every store port.
 */

/** A conversation's handler script: at most one per conversation. */
export interface ConversationHandlerRecord {
  readonly conversation_id: string;
  readonly organization_id: string;
  /** JavaScript source (§8). */
  readonly content: string;
  /** The user who created or last replaced it. */
  readonly updated_by: string;
  readonly created_at: number;
  /** When the script was last replaced; it also names this version of the script. */
  readonly updated_at: number;
  /**
   * Parley: why the current script last failed (threw, timed out, ran out of memory...), for its
   * owner to read with `get_conversation_handler`; null while it never failed.
   */
  readonly last_error: string | null;
  readonly last_error_at: number | null;
}

/** Handler scripts by conversation. Deleting a conversation deletes its handler. */
export interface ConversationHandlerStore {
  /**
   * Creates the conversation's handler or replaces its script (created_at kept), clearing any
   * recorded failure; returns the stored row.
   */
  put(handler: { organization_id: string; conversation_id: string; content: string; updated_by: string }, now: number): Promise<ConversationHandlerRecord>;
  /** The conversation's handler, if it has one. */
  byConversation(orgId: string, cid: string): Promise<ConversationHandlerRecord | undefined>;
  /** Removes the handler; true if there was one. */
  delete(orgId: string, cid: string): Promise<boolean>;
  /**
   * Records a failure of the script version `version` (its updated_at); ignored when the script
   * has been replaced or deleted since, so an old script's failure never marks a new one.
   */
  recordError(orgId: string, cid: string, version: number, error: string, now: number): Promise<void>;
}
