import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileRecord } from '../store/store.js';
import type { DownloadMeta, LocalDownload, LocalFileEndpoint, LocalTransferResult, LocalUpload, ObjectStorage, StoredObjectMeta } from './storage.js';
import { downloadWindow } from './url-windows.js';

/** What the local driver needs to know; main.ts fills it from the config. */
export interface LocalStorageOptions {
  /** Directory holding the bytes (created if missing). */
  readonly dir: string;
  /** Base URL clients reach this node at, without a trailing slash; read per URL (the port may be known only after listen). */
  readonly baseUrl: () => string;
  /** HMAC key for URL signatures. */
  readonly secret: string;
  readonly uploadTtlSeconds: number;
  readonly downloadTtlSeconds: number;
  /** Looks a file up by object id (announced size, type and name). */
  readonly lookup: (objectId: string) => Promise<FileRecord | undefined>;
  /** Records that the bytes arrived. */
  readonly markUploaded: (objectId: string, now: number) => Promise<unknown>;
  readonly clock?: () => number;
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** Counts bytes and fails the pipeline as soon as more than `limit` pass. */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) done(new TooLarge());
    else done(null, chunk);
  }
}
class TooLarge extends Error {}

/**
 * The zero-setup driver: bytes in DATA_DIR, served by Parley's own HTTP server at
 * `/files/<object id>` through URLs signed with HMAC-SHA256 over method, object id and expiry.
 * Uploads are write-once and must be exactly the announced size; a partial or failed upload
 * leaves nothing behind. Files are fsynced before the upload is answered.
 */
export class LocalObjectStorage implements ObjectStorage, LocalFileEndpoint {
  readonly driver = 'local';
  private readonly clock: () => number;

  constructor(private readonly opts: LocalStorageOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
  }

  uploadUrl(meta: StoredObjectMeta, now: number): string {
    return this.signedUrl('PUT', meta.objectId, now + this.opts.uploadTtlSeconds * 1000);
  }

  downloadUrl(meta: DownloadMeta, now: number): string {
    return this.signedUrl('GET', meta.objectId, downloadWindow(this.opts.downloadTtlSeconds, now).expiresAt);
  }

  async delete(objectIds: readonly string[]): Promise<void> {
    for (const id of objectIds) {
      if (!OBJECT_ID.test(id)) continue;
      try {
        await unlink(this.pathOf(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  async put(objectId: string, path: string): Promise<void> {
    if (!OBJECT_ID.test(objectId)) throw new Error(`not an object id: ${objectId}`);
    const final = this.pathOf(objectId);
    await mkdir(join(final, '..'), { recursive: true });
    const temp = `${final}.${randomBytes(6).toString('hex')}.part`;
    await copyFile(path, temp);
    await syncPath(temp);
    await rename(temp, final);
    await syncPath(join(final, '..'));
  }

  async read(objectId: string): Promise<Readable | undefined> {
    if (!OBJECT_ID.test(objectId) || !(await exists(this.pathOf(objectId)))) return undefined;
    return createReadStream(this.pathOf(objectId));
  }

  async upload(req: LocalUpload): Promise<LocalTransferResult> {
    const denied = this.verify('PUT', req.objectId, req.query);
    if (denied) return denied;
    const file = await this.opts.lookup(req.objectId);
    if (!file) return { kind: 'refused', status: 404, reason: 'File not found.' };
    if (req.contentLength !== undefined && req.contentLength !== file.size) {
      return { kind: 'refused', status: req.contentLength > file.size ? 413 : 400, reason: `The body must be exactly ${String(file.size)} bytes, as announced.` };
    }
    const final = this.pathOf(req.objectId);
    if (await exists(final)) return { kind: 'refused', status: 409, reason: 'This file was already uploaded.' };
    await mkdir(join(final, '..'), { recursive: true });
    const temp = `${final}.${randomBytes(6).toString('hex')}.part`;
    const counter = new ByteLimit(file.size);
    try {
      await pipeline(req.body, counter, createWriteStream(temp, { flags: 'wx' }));
      if (counter.bytes !== file.size) return { kind: 'refused', status: 400, reason: `The body must be exactly ${String(file.size)} bytes, as announced.` };
      await syncPath(temp);
      try {
        // link() fails if the name exists: the first complete upload wins, nothing is overwritten.
        await link(temp, final);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { kind: 'refused', status: 409, reason: 'This file was already uploaded.' };
        throw err;
      }
      await syncPath(join(final, '..'));
      await this.opts.markUploaded(req.objectId, this.clock());
      return { kind: 'stored' };
    } catch (err) {
      if (err instanceof TooLarge) return { kind: 'refused', status: 413, reason: `The body must be exactly ${String(file.size)} bytes, as announced.` };
      // The client went away mid-body: nothing is kept, and there is nobody to answer.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return { kind: 'refused', status: 400, reason: 'The upload was interrupted.' };
      }
      throw err;
    } finally {
      await unlink(temp).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      });
    }
  }

  async download(req: LocalDownload): Promise<LocalTransferResult> {
    const denied = this.verify('GET', req.objectId, req.query);
    if (denied) return denied;
    const file = await this.opts.lookup(req.objectId);
    if (!file) return { kind: 'refused', status: 404, reason: 'File not found.' };
    let size: number;
    try {
      size = (await stat(this.pathOf(req.objectId))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'refused', status: 404, reason: 'File not found.' };
      throw err;
    }
    const range = parseRange(req.range, size);
    if (range === 'unsatisfiable') return { kind: 'refused', status: 416, reason: 'Range not satisfiable.' };
    const [start, end] = range ?? [0, size - 1];
    const body = size === 0 ? Readable.from([]) : createReadStream(this.pathOf(req.objectId), { start, end });
    return { kind: 'file', body, size, contentType: file.content_type, name: file.name, start, end, partial: range !== undefined };
  }

  private pathOf(objectId: string): string {
    return join(this.opts.dir, objectId.slice(0, 2), objectId);
  }

  private signature(method: string, objectId: string, expires: string): Buffer {
    return createHmac('sha256', this.opts.secret).update(`${method}\n${objectId}\n${expires}`).digest();
  }

  private signedUrl(method: 'GET' | 'PUT', objectId: string, expiresAt: number): string {
    const expires = String(Math.ceil(expiresAt / 1000));
    return `${this.opts.baseUrl()}/files/${objectId}?expires=${expires}&signature=${this.signature(method, objectId, expires).toString('base64url')}`;
  }

  /** Undefined when the URL is genuine and current; otherwise why not (403 either way). */
  private verify(method: 'GET' | 'PUT', objectId: string, query: LocalUpload['query']): LocalTransferResult | undefined {
    const { expires, signature } = query;
    if (!OBJECT_ID.test(objectId) || expires === undefined || signature === undefined || !/^\d{1,12}$/.test(expires)) {
      return { kind: 'refused', status: 403, reason: 'Invalid signature.' };
    }
    // Compared as text, so a non-canonical encoding of the right bytes is refused as well.
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.signature(method, objectId, expires).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'refused', status: 403, reason: 'Invalid signature.' };
    if (Number(expires) * 1000 < this.clock()) return { kind: 'refused', status: 403, reason: 'This URL has expired.' };
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined for none or forms we do not serve whole-file for. */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}
