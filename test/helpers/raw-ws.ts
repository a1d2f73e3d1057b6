import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A bare WebSocket client over a TCP socket, for hostile-client tests: it can write many frames
 * in one TCP write and then stop reading entirely, which the `ws` client cannot (it always
 * reads). Frames it reads are unmasked server text frames; replies are JSON.
 */
export class RawWsClient {
  private buffer = Buffer.alloc(0);
  private readonly frames: Record<string, any>[] = [];
  private waiters: { match: (f: Record<string, any>) => boolean; resolve: (f: Record<string, any>) => void }[] = [];
  /** Resolves when the TCP connection closes. */
  readonly closed: Promise<void>;
  /** The socket's error, if it had one (a reset when the server drops it, say). */
  error: Error | undefined;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', (err) => (this.error = err));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connects and completes the opening handshake. */
  static open(port: number): Promise<RawWsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${String(port)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        socket.off('error', reject);
        const status = head.subarray(0, end).toString().split('\r\n')[0] ?? '';
        if (!status.includes(' 101 ')) {
          socket.destroy();
          reject(new Error(status));
          return;
        }
        const client = new RawWsClient(socket);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.onData(rest);
        resolve(client);
      };
      socket.on('data', onHead);
    });
  }

  /** One masked text frame carrying `text`. */
  static frame(text: string): Buffer {
    const payload = Buffer.from(text);
    const len = payload.length;
    const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.alloc(10);
    if (len >= 65536) {
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = randomBytes(4);
    for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    return Buffer.concat([header, mask, payload]);
  }

  /** Writes raw bytes (frames made with `frame`, possibly many at once). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request and waits for the frame that answers it. */
  async request(name: string, body: unknown, id: string): Promise<Record<string, any>> {
    this.write(RawWsClient.frame(JSON.stringify({ request: { [name]: body, id } })));
    const f = await this.next((x) => x.response?.id === id || x.ask?.mid === (body as { id?: string }).id);
    return (f.response ?? f) as Record<string, any>;
  }

  /** Stops reading: the server's writes pile up in its buffers. */
  stopReading(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }

  next(match: (f: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0] as Record<string, any>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching frame')), timeoutMs);
      this.waiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let len = (this.buffer[1] as number) & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) return;
      const opcode = (this.buffer[0] as number) & 0x0f;
      const payload = this.buffer.subarray(offset, offset + len);
      this.buffer = this.buffer.subarray(offset + len);
      if (opcode !== 1) continue;
      const frame = JSON.parse(payload.toString()) as Record<string, any>;
      const w = this.waiters.findIndex((x) => x.match(frame));
      if (w >= 0) this.waiters.splice(w, 1)[0]?.resolve(frame);
      else this.frames.push(frame);
    }
  }
}
