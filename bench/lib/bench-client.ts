import WebSocket from 'ws';

/** A decoded server frame. */
export type Frame = Record<string, any>;

/**
 * A lean SAMA client for load generation: requests matched by id, everything else handed to
 * `onFrame`. It parses each frame once and keeps no history, so it costs little per message.
 */
export class BenchClient {
  private readonly pending = new Map<string, (f: Frame) => void>();
  private seq = 0;
  onFrame: (f: Frame) => void = () => undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8')) as Frame;
      const id = f.response?.id as string | undefined;
      const waiter = id === undefined ? undefined : this.pending.get(id);
      if (waiter) {
        this.pending.delete(id as string);
        waiter(f.response as Frame);
      } else this.onFrame(f);
    });
  }

  static open(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new BenchClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a wrapped request and resolves with its `response` object (errors included). */
  request(name: string, body: unknown): Promise<Frame> {
    const id = `q${++this.seq}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ request: { [name]: body, id } }));
    });
  }

  /** Sends a raw, already-encoded frame. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Fails loudly when a setup request did not succeed. */
export function must(f: Frame, what: string): Frame {
  if (f.error !== undefined) throw new Error(`${what} failed: ${JSON.stringify(f.error)}`);
  return f;
}
