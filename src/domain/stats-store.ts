/**
 * Where `GET /admin/server-stats` figures live (domain/server-stats.ts): this node's memory for one
 * node, Redis for a cluster, so that every node's counts add up. Nothing here is durable or needs
 * to be: losing it (a Redis restart) makes the message figures absent until a period has elapsed
 * again, as after a fresh start.
 */

/** What one node publishes about itself. */
export interface NodeFigures {
  readonly nodeId: string;
  /** Open WebSocket connections (logged in or not). */
  readonly connections: number;
  /** When the node started, epoch ms. */
  readonly startedAt: number;
}

/** Totals of one minute, one hour and one day bucket, and when counting began. */
export interface MessageTotals {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  /** Epoch ms from which counts are complete; undefined when nothing was recorded yet. */
  readonly since: number | undefined;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Start of the UTC `unit` (minute, hour or day) that holds `t`. */
export const bucketStart = (t: number, unit: number): number => Math.floor(t / unit) * unit;

export interface StatsStore {
  /**
   * Adds `counts` (minute start → packets) to the minute, hour and day buckets holding each minute,
   * and records `now` as the start of counting unless a start is recorded. Buckets are kept at
   * least until the end of the period after theirs.
   */
  record(counts: ReadonlyMap<number, number>, now: number): Promise<void>;
  /** Totals of the buckets starting at these times (0 for an empty one). */
  totals(minuteStart: number, hourStart: number, dayStart: number): Promise<MessageTotals>;
  /** Publishes a node's figures at `now`, kept for `ttlMs` unless published again. */
  publishNode(figures: NodeFigures, ttlMs: number, now: number): Promise<void>;
  /** Forgets a node at once (it is leaving). */
  removeNode(nodeId: string): Promise<void>;
  /** Figures of every node whose last publication has not expired at `now`. */
  nodes(now: number): Promise<NodeFigures[]>;
}

/** The single-node StatsStore: maps in this process, old buckets dropped as new ones are recorded. */
export class MemoryStatsStore implements StatsStore {
  private readonly buckets = new Map<string, number>();
  private since: number | undefined;
  private readonly published = new Map<string, { figures: NodeFigures; until: number }>();

  record(counts: ReadonlyMap<number, number>, now: number): Promise<void> {
    this.since ??= now;
    for (const [minute, n] of counts) {
      for (const key of keys(minute)) this.buckets.set(key, (this.buckets.get(key) ?? 0) + n);
    }
    for (const key of this.buckets.keys()) {
      const [unit = '', start = '0'] = key.split(':');
      const span = unit === 'm' ? MINUTE_MS : unit === 'h' ? HOUR_MS : DAY_MS;
      if (Number(start) + 2 * span <= now) this.buckets.delete(key);
    }
    return Promise.resolve();
  }

  totals(minuteStart: number, hourStart: number, dayStart: number): Promise<MessageTotals> {
    return Promise.resolve({
      minute: this.buckets.get(`m:${String(minuteStart)}`) ?? 0,
      hour: this.buckets.get(`h:${String(hourStart)}`) ?? 0,
      day: this.buckets.get(`d:${String(dayStart)}`) ?? 0,
      since: this.since,
    });
  }

  publishNode(figures: NodeFigures, ttlMs: number, now: number): Promise<void> {
    this.published.set(figures.nodeId, { figures, until: now + ttlMs });
    return Promise.resolve();
  }

  removeNode(nodeId: string): Promise<void> {
    this.published.delete(nodeId);
    return Promise.resolve();
  }

  nodes(now: number): Promise<NodeFigures[]> {
    const out: NodeFigures[] = [];
    for (const [id, p] of this.published) {
      if (p.until <= now) this.published.delete(id);
      else out.push(p.figures);
    }
    return Promise.resolve(out);
  }
}

/** Bucket keys of one minute: its own, its hour's and its day's (`m:`, `h:`, `d:` + start ms). */
export function keys(minuteStart: number): [string, string, string] {
  return [`m:${String(minuteStart)}`, `h:${String(bucketStart(minuteStart, HOUR_MS))}`, `d:${String(bucketStart(minuteStart, DAY_MS))}`];
}
