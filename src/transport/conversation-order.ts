import type { Logger } from 'pino';
import type { MessagePlace } from '../domain/delivery.js';
import { idFloorAt } from '../protocol/ids.js';

/** A message read back from the store, with what hands it to this node's sockets. */
export interface FilledMessage {
  readonly id: string;
  release(): void;
}

/** Reads the messages of `cid` after `afterId` and before `beforeId` (null: open), oldest first. */
export type GapReader = (orgId: string, cid: string, afterId: string | null, beforeId: string | null) => Promise<FilledMessage[]>;

export interface ConversationOrderOptions {
  /** How long a message waits for a predecessor this node has not heard of before the store is read, ms. */
  readonly gapWaitMs: number;
  /**
   * A predecessor created at least this long before its successor is taken as delivered (or
   * missed) long ago, so a node that knows nothing of the conversation delivers at once, ms.
   */
  readonly settleMs: number;
  /** What is known of a conversation quiet this long is forgotten, ms. */
  readonly idleMs: number;
}

interface Waiting {
  readonly place: MessagePlace;
  readonly release: () => void;
  /** When the longest-connected socket it goes to here was bound (ms), if known; asked only when a predecessor is missing. */
  readonly boundSince: () => number | undefined;
}

interface ConversationState {
  readonly orgId: string;
  readonly cid: string;
  /** Newest message handed to sockets here; undefined while this node knows nothing of the conversation. */
  last: string | undefined;
  /** Messages heard but not yet handed over, by id. */
  waiting: Waiting[];
  timer: NodeJS.Timeout | undefined;
  /** A store read for this conversation is under way: nothing is handed over meanwhile. */
  filling: boolean;
  touchedAt: number;
}

/** How many outages of the bus are remembered (for messages whose predecessor fell in one). */
const OUTAGES_KEPT = 8;
/**
 * How long a catch-up waits after an outage is reported: every node reports a Redis restart, and
 * the reports of one outage arrive within this, so the store is read once, not once per node.
 */
const CATCH_UP_DELAY_MS = 100;

/**
 * Hands each conversation's messages to this node's sockets in id order — which the store makes
 * commit order — with none skipped and none twice, whatever order the bus brought them in and
 * whatever it lost. A message whose predecessor has not been handed over waits up to
 * `gapWaitMs` for it; then the missing ones are read from the store. After the bus was down,
 * every conversation known here is read from the store past its last message.
 *
 * State is in memory, owned by this node and rebuilt from the store: a conversation this node
 * knows nothing of (new, forgotten when idle, or after a restart) is learned from the next
 * message's link to its predecessor.
 */
export class ConversationOrder {
  private readonly conversations = new Map<string, ConversationState>();
  private readonly outages: { from: number; to: number }[] = [];
  private closed = false;
  /** A catch-up after an outage, scheduled: notices of one outage from several nodes make one. */
  private catchUp: NodeJS.Timeout | undefined;
  /** Messages read back from the store because the bus lost or delayed them (for /metrics). */
  filled = 0;

  constructor(
    private readonly opts: ConversationOrderOptions,
    private readonly readGap: GapReader,
    private readonly log: Logger,
  ) {}

  /**
   * A message for sockets here: `release` hands it over, now or once its predecessors are.
   * `boundSince`: when the longest-connected of those sockets was bound — a predecessor made
   * well before that is not awaited (none of them was there for it).
   */
  offer(place: MessagePlace, release: () => void, boundSince: () => number | undefined = () => undefined, now = Date.now()): void {
    if (this.closed) return;
    const s = this.state(place, now);
    if (s.last !== undefined && place.id <= s.last) return;
    let i = s.waiting.length;
    while (i > 0 && (s.waiting[i - 1]?.place.id ?? '') > place.id) i--;
    if (s.waiting[i - 1]?.place.id === place.id) return;
    s.waiting.splice(i, 0, { place, release, boundSince });
    this.drain(s);
  }

  /**
   * The bus was down from `from` until now: payloads may be lost. Every conversation known here
   * is read from the store past its last message; a later message whose predecessor was made
   * in the outage waits for it even if it is old.
   */
  recovered(from: number, now = Date.now()): void {
    if (this.closed) return;
    this.outages.push({ from, to: now });
    if (this.outages.length > OUTAGES_KEPT) this.outages.shift();
    if (this.catchUp) return;
    this.catchUp = setTimeout(() => {
      this.catchUp = undefined;
      for (const s of this.conversations.values()) {
        if (s.last !== undefined && !s.filling) this.fill(s, s.last, null);
      }
    }, CATCH_UP_DELAY_MS);
    this.catchUp.unref();
  }

  /** Forgets quiet conversations with nothing waiting. */
  sweep(now = Date.now()): void {
    for (const [cid, s] of this.conversations) {
      if (s.waiting.length === 0 && !s.filling && now - s.touchedAt > this.opts.idleMs) this.conversations.delete(cid);
    }
  }

  /** Conversations known here (for /metrics and tests). */
  get size(): number {
    return this.conversations.size;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.catchUp);
    for (const s of this.conversations.values()) clearTimeout(s.timer);
    this.conversations.clear();
  }

  private state(place: MessagePlace, now: number): ConversationState {
    let s = this.conversations.get(place.cid);
    if (!s) this.conversations.set(place.cid, (s = { orgId: place.orgId, cid: place.cid, last: undefined, waiting: [], timer: undefined, filling: false, touchedAt: now }));
    s.touchedAt = now;
    return s;
  }

  /** True when everything before `w` has been handed over here (or is known not to matter). */
  private follows(s: ConversationState, w: Waiting): boolean {
    const p = w.place;
    if (p.prev === null) return true;
    if (s.last !== undefined && p.prev <= s.last) return true;
    // The predecessor was made before any socket it would go to here was connected.
    const since = p.prevAt === null ? undefined : w.boundSince();
    if (p.prevAt !== null && since !== undefined && p.prevAt < since - this.opts.settleMs) return true;
    if (s.last !== undefined) return false;
    // Nothing known here: a predecessor made well before is old news, unless the bus was down then.
    return p.prevAt !== null && p.at - p.prevAt >= this.opts.settleMs && !this.inOutage(p.prevAt);
  }

  private inOutage(t: number): boolean {
    return this.outageStart(t) !== undefined;
  }

  private drain(s: ConversationState): void {
    while (!s.filling) {
      const next = s.waiting[0];
      if (!next) break;
      if (s.last !== undefined && next.place.id <= s.last) {
        s.waiting.shift();
        continue;
      }
      if (!this.follows(s, next)) break;
      s.waiting.shift();
      this.handOver(s, next.place.id, next.release);
    }
    if (s.waiting.length === 0 || s.filling) {
      clearTimeout(s.timer);
      s.timer = undefined;
    } else if (!s.timer) {
      s.timer = setTimeout(() => this.gapTimedOut(s), this.opts.gapWaitMs);
      s.timer.unref();
    }
  }

  private handOver(s: ConversationState, id: string, release: () => void): void {
    s.last = id;
    try {
      release();
    } catch (err) {
      this.log.error({ err, cid: s.cid }, 'handing a message to sockets failed');
    }
  }

  /** The first waiting message's predecessors did not come: read them from the store. */
  private gapTimedOut(s: ConversationState): void {
    s.timer = undefined;
    const first = s.waiting[0];
    if (!first || s.filling || this.closed) return;
    // Nothing known here: the gap is what was made shortly before (or during an outage).
    const since = first.place.prevAt === null ? first.place.at : Math.min(first.place.at - this.opts.settleMs, this.outageStart(first.place.prevAt) ?? Infinity);
    this.fill(s, s.last ?? idFloorAt(since / 1000), first.place.id);
  }

  private outageStart(t: number): number | undefined {
    return this.outages.find((o) => t >= o.from - this.opts.settleMs && t <= o.to)?.from;
  }

  private fill(s: ConversationState, after: string, before: string | null): void {
    s.filling = true;
    clearTimeout(s.timer);
    s.timer = undefined;
    const done = (found: FilledMessage[]): void => {
      s.filling = false;
      if (this.closed) return;
      for (const m of found) {
        if (s.last !== undefined && m.id <= s.last) continue;
        this.filled += 1;
        this.handOver(s, m.id, () => m.release());
      }
      // The message that waited goes next whatever the store held: a predecessor it lacks was
      // deleted for everyone, or was a retry that was never stored.
      const first = s.waiting[0];
      if (before !== null && first?.place.id === before && !this.follows(s, first)) {
        s.waiting.shift();
        this.handOver(s, first.place.id, first.release);
      }
      this.drain(s);
    };
    this.readGap(s.orgId, s.cid, after, before).then(done, (err: unknown) => {
      this.log.warn({ err, cid: s.cid }, 'could not read missed messages from the store; delivering what arrived');
      done([]);
    });
  }
}
