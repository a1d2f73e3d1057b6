import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { EJSON, serialize, type Document } from 'bson';
import { samaDigest } from '../../src/domain/legacy-passwords.js';

/**
 * Writes dumps the way SAMA's operators make them: `mongodump` files (`<collection>.bson`, BSON
 * documents back to back) or `mongoexport` files (`<collection>.json`, one Extended JSON document
 * per line). Documents are written as given, so tests and benches build them in SAMA's shapes
 * (ObjectIds, Dates).
 */
export type DumpFormat = 'bson' | 'json';

/** Buffers up to this much before writing (big dumps are written in constant memory). */
const FLUSH_BYTES = 1 << 20;

export class DumpFileWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  private constructor(
    private readonly out: WriteStream,
    private readonly format: DumpFormat,
  ) {}

  static open(dir: string, collection: string, format: DumpFormat): DumpFileWriter {
    mkdirSync(dir, { recursive: true });
    return new DumpFileWriter(createWriteStream(join(dir, `${collection}.${format}`)), format);
  }

  /** Appends one document; resolves when buffered (or written, when the buffer was full). */
  async add(doc: Document): Promise<void> {
    const bytes = this.format === 'bson' ? Buffer.from(serialize(doc)) : Buffer.from(`${EJSON.stringify(doc, { relaxed: false })}\n`);
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  /** Appends bytes as they are (a damaged document, a broken line). */
  async addRaw(bytes: Buffer | string): Promise<void> {
    const b = Buffer.from(bytes);
    this.chunks.push(b);
    this.size += b.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    if (!this.out.write(data)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Writes whole collections; `format` per collection or for all. */
export async function writeDump(dir: string, collections: Readonly<Record<string, readonly Document[]>>, format: DumpFormat | ((collection: string) => DumpFormat)): Promise<void> {
  for (const [name, docs] of Object.entries(collections)) {
    const w = DumpFileWriter.open(dir, name, typeof format === 'function' ? format(name) : format);
    for (const d of docs) await w.add(d);
    await w.close();
  }
}

/** SAMA's stored password fields for `password` with `salt` (protocol.md §11.1). */
export function samaPasswordFields(password: string, salt: string): { password_salt: string; encrypted_password: string } {
  return { password_salt: salt, encrypted_password: samaDigest(password, salt) };
}
