import type { SendView } from '../store.js';

/**
 * A node's cache of ConversationStore.sendView answers, for PostgreSQL in a cluster, where
 * reading the view is a round trip per message (docs/benchmarks.md). Node memory, rebuilt from
 * the store: an entry is a guess that is checked where it matters. Each view carries its
 * conversation's view_version (migration 19), which triggers bump on every change to what a view
 * holds; the message insert compares it under the conversation's row lock and refuses a message
 * checked against an older view, which is then checked again on a fresh read (InsertGuard). So
 * an outdated entry costs a round trip, never a message a fresh read would have refused.
 *
 * A view's `blocked` is about the sender and the other side of a private conversation. Both sides
 * get the same answer (it is "either way"), so a private conversation's view is kept and used only
 * for its two sides; for any other sender it is read afresh.
 *
 * Bounded by weight (one per view plus one per participant), least recently used out first, so a
 * few huge groups cannot hold unbounded memory.
 */
export class SendViewCache {
  private readonly views = new Map<string, SendView>();
  private weight = 0;

  constructor(private readonly maxWeight: number) {}

  /** The cached view of `cid` in `orgId` usable for `senderId`, if any. */
  get(orgId: string, cid: string, senderId: string): SendView | undefined {
    const view = this.views.get(cid);
    if (!view || view.conversation.organization_id !== orgId || !usableFor(view, senderId)) return undefined;
    // Map order is insertion order: re-inserting marks the entry most recently used.
    this.views.delete(cid);
    this.views.set(cid, view);
    return view;
  }

  /** Keeps a freshly read view (replacing an older one of the same conversation). */
  set(cid: string, view: SendView, senderId: string): void {
    if (view.version === undefined || !usableFor(view, senderId)) return;
    this.forget(cid);
    const w = weightOf(view);
    if (w > this.maxWeight) return;
    this.views.set(cid, view);
    this.weight += w;
    for (const [oldest, v] of this.views) {
      if (this.weight <= this.maxWeight) break;
      this.views.delete(oldest);
      this.weight -= weightOf(v);
    }
  }

  /** Drops the conversation's view (an insert found it outdated). */
  forget(cid: string): void {
    const old = this.views.get(cid);
    if (!old) return;
    this.views.delete(cid);
    this.weight -= weightOf(old);
  }
}

function weightOf(view: SendView): number {
  return 1 + view.participants.length;
}

/** A private conversation's view only serves its two sides (see SendViewCache). */
function usableFor(view: SendView, senderId: string): boolean {
  const c = view.conversation;
  return c.type !== 'u' || c.owner_id === senderId || c.opponent_id === senderId;
}
