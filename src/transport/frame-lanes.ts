/**
 * Bounded, fair work per WebSocket. Each socket gets a lane: its frames start in arrival order,
 * at most `maxInFlight` at a time, and only while the socket's unsent output is within
 * `outputBudgetBytes` — counting the replies still being built at the size of the largest recent
 * reply. A frame that may not start waits in the lane, and a lane with a backlog stops reading
 * its socket (TCP backpressure), so a client that pipelines thousands of requests holds a few
 * frames in memory, not thousands of replies.
 *
 * Fairness: a frame that arrives on an idle lane starts at once, unless frames started that way
 * have already taken a slice of this turn of the event loop. Every other frame is started by
 * one scheduler for all lanes, from a `setImmediate` pass that takes lanes round-robin and starts
 * only as many frames as fit in a few milliseconds (measured on the previous pass), so the event
 * loop gets back to other sockets' input between passes however busy one socket is.
 */

/** The limits every lane applies. */
export interface LaneLimits {
  readonly maxInFlight: number;
  readonly outputBudgetBytes: number;
}

/** The socket a lane drives (a ws WebSocket is one). */
export interface LaneIo {
  /** Bytes queued on the socket and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Stops / restarts reading the socket. */
  pause(): void;
  resume(): void;
}

/** Handles one frame to completion; never rejects. */
export type RunFrame = (frame: Buffer) => Promise<void>;

/** Why a frame had to wait: the socket's in-flight cap, or its output budget. */
export type DelayReason = 'in_flight' | 'output';

/** Counters the scheduler reports to (metrics). */
export interface LaneEvents {
  /** A frame arrived while its lane was at a limit (ordinary pipelining is not counted). */
  delayed(reason: DelayReason): void;
  /** Waiting frames discarded because their socket closed. */
  dropped(count: number): void;
}

/** A backlog this large (frames or bytes) stops reading the socket until it has been worked off. */
const PAUSE_BYTES = 64 * 1024;
/** Floor of a lane's reply-size estimate. A new lane assumes a quarter of the budget (so at most four requests build replies before the first size is known). */
const MIN_ESTIMATE = 256;
/**
 * Frames the first pass after a pause may start: the cost of frames is unknown then, and a pass
 * of heavy ones (say 900 KB replies) would keep the event loop for their sum. Cheap passes double it.
 */
const SLOW_START = 4;

/** Starts queued frames of all lanes fairly; see the module comment. */
export class FrameScheduler {
  /** Lanes whose waiting frame arrived while they were idle: served before the busy ones. */
  private readonly fresh = new Set<FrameLane>();
  private readonly ready = new Set<FrameLane>();
  /** When the first frame started inline in this turn of the event loop (-1: none yet). */
  private windowStart = -1;
  private scheduled = false;
  private passSize: number;
  private passId = 0;
  private passStart = 0;
  private passStarted = 0;
  private measured = true;
  /** When the last pass ran: after a pause the pass size starts small again (slow start). */
  private lastPass = 0;

  constructor(
    readonly limits: LaneLimits,
    readonly events: LaneEvents,
    /** Target time per pass (ms) and most frames one pass may start. */
    private readonly pass = { sliceMs: 4, maxFrames: 256 },
  ) {
    this.passSize = SLOW_START;
  }

  /** A new lane for one socket whose frames `run` handles. */
  lane(io: LaneIo, run: RunFrame): FrameLane {
    return new FrameLane(this, io, run);
  }

  /**
   * @internal True while frames started inline in this turn of the event loop (with their
   * promise continuations, which run after each socket's read callback) have taken less than a
   * slice: many sockets whose first frames are heavy cannot each start one in the same turn.
   */
  inlineAllowed(): boolean {
    const now = performance.now();
    if (this.windowStart < 0) {
      this.windowStart = now;
      setImmediate(this.closeWindow);
      return true;
    }
    return now - this.windowStart < this.pass.sliceMs;
  }

  private readonly closeWindow = (): void => {
    this.windowStart = -1;
  };

  /** @internal A lane has a frame that may start; `idle`: the lane had nothing running or waiting. */
  wake(lane: FrameLane, idle = false): void {
    if (idle && !this.ready.has(lane)) this.fresh.add(lane);
    else this.ready.add(lane);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pump);
    }
  }

  /** @internal A closed lane leaves the rotation. */
  forget(lane: FrameLane): void {
    this.fresh.delete(lane);
    this.ready.delete(lane);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    // No measurement arrived since the last pass: it (and its promise continuations) took less
    // than a timer tick, so the next one may start more frames.
    const start = performance.now();
    if (start - this.lastPass > 50) this.passSize = Math.min(this.passSize, SLOW_START);
    else if (!this.measured) this.passSize = Math.min(this.pass.maxFrames, this.passSize * 2);
    this.lastPass = start;
    const id = ++this.passId;
    let started = 0;
    // Lanes that were idle first, then round-robin: a lane that still has runnable frames goes
    // to the back of the busy set.
    for (const set of [this.fresh, this.ready]) {
      for (const lane of set) {
        if (started >= this.passSize) break;
        set.delete(lane);
        if (!lane.startNext()) continue;
        started += 1;
        if (lane.runnable()) this.ready.add(lane);
      }
    }
    if (this.fresh.size + this.ready.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pump);
    }
    if (started === 0) return;
    // Work started here mostly runs in promise continuations right after this callback; a 0 ms
    // timer fires at the start of the next loop iteration, so it measures this pass with them.
    this.measured = false;
    this.passStart = start;
    this.passStarted = started;
    setTimeout(() => this.measure(id), 0);
  };

  private measure(id: number): void {
    if (id !== this.passId) return;
    this.measured = true;
    const perFrame = (performance.now() - this.passStart) / this.passStarted;
    this.passSize = Math.max(1, Math.min(this.pass.maxFrames, Math.floor(this.pass.sliceMs / Math.max(perFrame, 0.001))));
  }
}

/** One socket's frames; created by FrameScheduler.lane. */
export class FrameLane {
  private queue: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;
  private inFlight = 0;
  private paused = false;
  private closed = false;
  private estimate: number;

  constructor(
    private readonly scheduler: FrameScheduler,
    private readonly io: LaneIo,
    private readonly run: RunFrame,
  ) {
    this.estimate = scheduler.limits.outputBudgetBytes / 4;
  }

  /** Frames waiting to start. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** A frame read from the socket. */
  push(frame: Buffer): void {
    if (this.closed) return;
    const blocked = this.blockedBy();
    const idle = this.backlog === 0 && this.inFlight === 0;
    if (idle && blocked === undefined && this.scheduler.inlineAllowed()) {
      this.start(frame);
      return;
    }
    // Frames ahead of this one count against the in-flight cap too: they will start first.
    const reason = blocked ?? (this.inFlight + this.backlog >= this.scheduler.limits.maxInFlight ? 'in_flight' : undefined);
    if (reason !== undefined) this.scheduler.events.delayed(reason);
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (!this.paused && (this.backlog >= this.scheduler.limits.maxInFlight || this.queuedBytes >= PAUSE_BYTES)) {
      this.paused = true;
      this.io.pause();
    }
    if (blocked === undefined) this.scheduler.wake(this, idle);
  }

  /** Records a frame sent on the socket: replies are assumed as large as the largest recent one. */
  noteSent(bytes: number): void {
    this.estimate = Math.max(bytes, MIN_ESTIMATE, this.estimate * 0.9);
  }

  /** The socket's output drained: waiting frames may start. */
  drained(): void {
    if (!this.closed && this.runnable()) this.scheduler.wake(this);
  }

  /** The socket closed: waiting frames are dropped (replies could not be sent anyway). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.backlog > 0) this.scheduler.events.dropped(this.backlog);
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.scheduler.forget(this);
  }

  /** @internal True when a waiting frame may start now. */
  runnable(): boolean {
    return !this.closed && this.backlog > 0 && this.blockedBy() === undefined;
  }

  /** @internal Starts the oldest waiting frame if allowed; false if not. */
  startNext(): boolean {
    if (!this.runnable()) return false;
    const frame = this.queue[this.head] as Buffer;
    this.queue[this.head] = EMPTY;
    this.head += 1;
    this.queuedBytes -= frame.length;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.io.resume();
      }
    }
    this.start(frame);
    return true;
  }

  private blockedBy(): DelayReason | undefined {
    const { maxInFlight, outputBudgetBytes } = this.scheduler.limits;
    if (this.inFlight >= maxInFlight) return 'in_flight';
    const buffered = this.io.bufferedAmount;
    if (buffered > outputBudgetBytes) return 'output';
    // Replies being built count at the estimate; one request may always run on its own.
    if (this.inFlight > 0 && buffered + (this.inFlight + 1) * this.estimate > outputBudgetBytes) return 'output';
    return undefined;
  }

  private start(frame: Buffer): void {
    this.inFlight += 1;
    const done = (): void => {
      this.inFlight -= 1;
      // Never started from here: a chain of completions would run one socket's frames back to
      // back without returning to the event loop. The scheduler's next pass starts them.
      if (this.runnable()) this.scheduler.wake(this);
    };
    void this.run(frame).then(done, done);
  }
}

const EMPTY = Buffer.alloc(0);
