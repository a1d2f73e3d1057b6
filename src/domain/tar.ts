import type { Readable, Writable } from 'node:stream';

/**
 * A minimal POSIX ustar writer for export archives: regular files only, names of at most 100
 * bytes (callers build short ASCII paths), sizes below 8 GiB. Each entry is a 512-byte header,
 * the bytes, and zero padding to a 512-byte boundary; two zero blocks end the archive. Every
 * `tar` reads it (tests unpack with the system's).
 */
export class TarWriter {
  constructor(private readonly out: Writable) {}

  /** Adds a file whose bytes are in memory. */
  async addBuffer(name: string, body: Buffer, mtimeMs: number): Promise<void> {
    await this.write(header(name, body.length, mtimeMs));
    await this.write(body);
    await this.write(Buffer.alloc(padding(body.length)));
  }

  /**
   * Adds a file streamed from `body`, which must yield exactly `size` bytes; a shorter stream is
   * padded with zeros and a longer one cut, so the archive stays well-formed either way.
   * Returns how many bytes came from the stream.
   */
  async addStream(name: string, body: Readable, size: number, mtimeMs: number): Promise<number> {
    await this.write(header(name, size, mtimeMs));
    let written = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const part = chunk.subarray(0, Math.max(0, size - written));
      if (part.length > 0) await this.write(part);
      written += part.length;
      if (written >= size) break;
    }
    body.destroy();
    if (written < size) await this.write(Buffer.alloc(size - written));
    await this.write(Buffer.alloc(padding(size)));
    return written;
  }

  /** Writes the end-of-archive marker; the caller ends the stream. */
  finish(): Promise<void> {
    return this.write(Buffer.alloc(1024));
  }

  private write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.out.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
  }
}

function padding(size: number): number {
  return (512 - (size % 512)) % 512;
}

/** An octal field of `width` bytes: digits, then a NUL. */
function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of a regular file (mode 0644). */
export function header(name: string, size: number, mtimeMs: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new Error(`tar entry name must be 1-100 bytes: ${name}`);
  const h = Buffer.alloc(512);
  nameBytes.copy(h, 0);
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtimeMs / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}
