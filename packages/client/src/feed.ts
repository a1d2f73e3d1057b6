import type { EventMeta } from './options.js';
import type { EventName, Events } from './protocol.js';
import { SeenSet } from './seen.js';

/**
 * The events handed to listeners: each at most once (a message by its id, a stored event by its
 * exact text), held back while a catch-up reads what was missed so listeners get missed events
 * first, and the clock bookkeeping that tells from when to catch up.
 */
export class EventFeed {
  private readonly seen = new SeenSet(20_000);
  private readonly recent: string[] = [];
  private holding = false;
  private held: { name: EventName; body: unknown; raw: string }[] = [];
  /** Lower bound of server clock − local clock, ms, from server timestamps seen (undefined: none yet). */
  private skew: number | undefined;

  constructor(
    private readonly emit: (name: EventName, body: unknown, meta: EventMeta) => void,
    /** How many recently active conversations `tracked` keeps. */
    private readonly trackedCap: number,
  ) {}

  /** A live event: handed on now, or after the catch-up under way. */
  live(name: EventName, body: unknown, raw: string): void {
    if (this.holding) this.held.push({ name, body, raw });
    else this.deliver(name, body, 'live', raw);
  }

  /** An event read back by a catch-up (`raw` is its stored text, when it has one); true when new. */
  caughtUp(name: EventName, body: unknown, raw: string | undefined): boolean {
    return this.deliver(name, body, 'catchup', raw);
  }

  /** Holds live events back (a catch-up is about to read missed ones). */
  hold(): void {
    this.holding = true;
  }

  /** Hands on the live events held back, in arrival order, and stops holding. */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const e of held) this.deliver(e.name, e.body, 'live', e.raw);
  }

  /** An acknowledged message of this device: the server does not deliver it back, and a catch-up must not either. */
  own(serverMid: string, t: number, cid: string): void {
    this.seen.add(`m:${serverMid}`);
    this.sample(t * 1000);
    this.remember(cid);
  }

  /** Conversations recently active on this client, newest first. */
  tracked(): readonly string[] {
    return this.recent;
  }

  /** Notes activity in a conversation (catch-ups re-read it). */
  remember(cid: string): void {
    const i = this.recent.indexOf(cid);
    if (i === 0) return;
    if (i > 0) this.recent.splice(i, 1);
    this.recent.unshift(cid);
    if (this.recent.length > this.trackedCap) this.recent.length = this.trackedCap;
  }

  /** The server time at local time `local`, as a lower bound once server timestamps were seen. */
  serverTime(local: number): number {
    return local + (this.skew ?? 0);
  }

  private deliver(name: EventName, body: unknown, source: EventMeta['source'], raw: string | undefined): boolean {
    const key = dedupeKey(name, body, raw);
    if (key !== undefined && !this.seen.add(key)) return false;
    if (name === 'message') {
      const m = body as Events['message'];
      this.remember(m.cid);
      if (source === 'live') this.sample(Date.parse(m.created_at));
    }
    this.emit(name, body, { source });
    return true;
  }

  /** A server timestamp just received: server clock − local clock is at least their difference. */
  private sample(serverMs: number): void {
    if (!Number.isFinite(serverMs)) return;
    const s = serverMs - Date.now();
    this.skew = this.skew === undefined ? s : Math.max(this.skew, s);
  }
}

/** The key an event is deduplicated by: a message by its id, a stored event by its exact text; others not at all. */
function dedupeKey(name: EventName, body: unknown, raw: string | undefined): string | undefined {
  if (name === 'message') return `m:${(body as Events['message'])._id}`;
  if ((name === 'message_read' || name === 'system_message') && raw !== undefined) return `t:${raw}`;
  return undefined;
}
