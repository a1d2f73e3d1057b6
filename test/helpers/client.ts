import WebSocket from 'ws';
import { eventProblem, replyProblem } from './wire-check.js';

/** Any decoded server frame. */
export type Frame = Record<string, any>;

/**
 * A WebSocket test client that keeps every frame it receives, so a test can wait for a reply by
 * id or for an event by shape, in any order.
 */
export class TestClient {
  private readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private nextId = 1;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      const frame = JSON.parse(text) as Frame;
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w?.resolve(frame);
      } else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Sends raw text (for malformed-input tests). */
  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Sends any JSON value as one frame. */
  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /**
   * Sends `{"request":{name: body, "id": id}}` and resolves with the `response` object for that
   * id; rejects when none came within `timeoutMs`.
   */
  async request(name: string, body: unknown = {}, timeoutMs = 3000): Promise<Frame> {
    const id = `r${this.nextId++}`;
    this.send({ request: { [name]: body, id } });
    const frame = await this.next((f) => f.response?.id === id || (f.ask !== undefined && (body as Frame | null)?.id !== undefined && f.ask.mid === (body as Frame).id), timeoutMs);
    // Every successful reply must match its schema in src/protocol/replies.ts (the SDK's types).
    const reply = (frame.response ?? frame.ask) as Frame;
    const issue = reply.error === undefined ? replyProblem(name, reply) : undefined;
    if (issue !== undefined) throw new Error(issue);
    return (frame.response ?? frame) as Frame;
  }

  /** Resolves with the first (buffered or future) frame matching `match`; rejects after `timeoutMs`. */
  next(match: (f: Frame) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return checkedEvent(this.frames.splice(i, 1)[0] as Frame);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          checkedEvent(f).then(resolve, reject);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; buffered: ${JSON.stringify(this.frames).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Records the id of every `message` this socket receives from now on (from `from` only, when
   * given), in arrival order, beside the buffer `next` and `collect` take from.
   */
  recordMessages(from?: string): string[] {
    const ids: string[] = [];
    this.ws.on('message', (data: WebSocket.RawData) => {
      const f = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')) as { message?: { _id: string; from: string } };
      if (f.message && (from === undefined || f.message.from === from)) ids.push(f.message._id);
    });
    return ids;
  }

  /** Waits `ms` and returns every frame matching `match` that arrived (for "nothing was sent" checks). */
  async collect(match: (f: Frame) => boolean, ms = 200): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.frames.filter(match);
    for (const f of out) this.frames.splice(this.frames.indexOf(f), 1);
    for (const f of out) {
      const issue = eventProblem(f);
      if (issue !== undefined) throw new Error(issue);
    }
    return out;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** Resolves with `f`, or rejects when it is an event that does not match its schema in src/protocol/events.ts. */
function checkedEvent(f: Frame): Promise<Frame> {
  const issue = eventProblem(f);
  return issue === undefined ? Promise.resolve(f) : Promise.reject(new Error(issue));
}
