import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DownloadMeta, ObjectStorage, StoredObjectMeta } from './storage.js';
import { contentDisposition } from './disposition.js';
import { presignS3Url, type PresignRequest, type S3Target } from './s3-presign.js';
import { downloadWindow } from './url-windows.js';

/** Settings of the S3 driver (SAMA's S3_* variables). */
export interface S3StorageOptions extends S3Target {
  readonly uploadTtlSeconds: number;
  readonly downloadTtlSeconds: number;
  /** Create the bucket at start when it does not exist (handy for MinIO and local servers). */
  readonly createBucket: boolean;
  /** Per-call timeout of Parley's own requests to the service, ms. */
  readonly timeoutMs?: number;
}

/**
 * Any S3-compatible service (AWS, MinIO, DigitalOcean Spaces): clients PUT and GET the bytes
 * there directly through presigned URLs. The upload URL signs `content-length`, so the service
 * itself refuses a body of any size but the announced one; download URLs name the declared
 * content type and file name in `response-content-*` parameters. Parley's own calls (bucket
 * check, deletions) are presigned the same way, so one signer serves everything.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly driver = 's3';

  constructor(private readonly opts: S3StorageOptions) {}

  async start(): Promise<void> {
    const head = await this.call({ method: 'HEAD', key: '' });
    if (head.ok) return;
    if (head.status !== 404 || !this.opts.createBucket) {
      throw new Error(`S3 bucket "${this.opts.bucket}" is not usable: HEAD answered ${String(head.status)}${head.status === 404 ? ' (set S3_CREATE_BUCKET=true to create it)' : ''}`);
    }
    const created = await this.call({ method: 'PUT', key: '' });
    if (created.ok) return;
    // 409: the bucket exists after all, created meanwhile by another node starting with the same
    // settings (a compose cluster starts them together); usable if HEAD now says so. A bucket
    // of the same name owned by another account also answers 409, and fails the HEAD.
    if (created.status === 409 && (await this.call({ method: 'HEAD', key: '' })).ok) return;
    throw new Error(`S3 bucket "${this.opts.bucket}" could not be created: ${String(created.status)}`);
  }

  uploadUrl(meta: StoredObjectMeta, now: number): string {
    return presignS3Url(this.opts, {
      method: 'PUT',
      key: meta.objectId,
      signedAt: now,
      expiresIn: this.opts.uploadTtlSeconds,
      headers: { 'content-length': String(meta.size) },
    });
  }

  downloadUrl(meta: DownloadMeta, now: number): string {
    const { signedAt, expiresAt } = downloadWindow(this.opts.downloadTtlSeconds, now);
    return presignS3Url(this.opts, {
      method: 'GET',
      key: meta.objectId,
      signedAt,
      expiresIn: Math.ceil((expiresAt - signedAt) / 1000),
      query: meta.contentType === undefined ? {} : { 'response-content-type': meta.contentType, 'response-content-disposition': contentDisposition({ contentType: meta.contentType, name: meta.name ?? meta.objectId }) },
    });
  }

  async delete(objectIds: readonly string[]): Promise<void> {
    for (const key of objectIds) {
      const res = await this.call({ method: 'DELETE', key });
      // S3 answers 204 whether or not the key existed; some compatible services answer 404.
      if (!res.ok && res.status !== 404) throw new Error(`S3 refused to delete ${key}: ${String(res.status)}`);
    }
  }

  async put(objectId: string, path: string, size: number): Promise<void> {
    const url = presignS3Url(this.opts, { method: 'PUT', key: objectId, signedAt: Date.now(), expiresIn: 600, headers: { 'content-length': String(size) } });
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    // Node's fetch needs duplex 'half' to send a stream; the DOM's RequestInit type lacks it.
    const init: RequestInit & { duplex: 'half' } = { method: 'PUT', body, headers: { 'content-length': String(size) }, duplex: 'half' };
    const res = await fetch(url, init);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`S3 refused to store ${objectId}: ${String(res.status)}`);
  }

  async read(objectId: string): Promise<Readable | undefined> {
    const url = presignS3Url(this.opts, { method: 'GET', key: objectId, signedAt: Date.now(), expiresIn: 600 });
    const res = await fetch(url);
    if (res.status === 404) {
      await res.arrayBuffer();
      return undefined;
    }
    if (!res.ok || !res.body) {
      await res.arrayBuffer();
      throw new Error(`S3 refused to read ${objectId}: ${String(res.status)}`);
    }
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  private async call(req: Omit<PresignRequest, 'signedAt' | 'expiresIn'>): Promise<Response> {
    const url = presignS3Url(this.opts, { ...req, signedAt: Date.now(), expiresIn: 60 });
    const res = await fetch(url, { method: req.method, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    // Drain the (small) body so the connection can be reused.
    if (req.method !== 'HEAD') await res.arrayBuffer();
    return res;
  }
}
