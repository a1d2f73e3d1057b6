import type { Readable } from 'node:stream';

/** What an upload URL is for: the declared facts of the file. */
export interface StoredObjectMeta {
  readonly objectId: string;
  readonly size: number;
  readonly contentType: string;
  readonly name: string;
}

/**
 * What a download URL is for. Type and name, when known, tell the service how to serve the
 * bytes; avatars and conversation images are rendered from the object id alone.
 */
export interface DownloadMeta {
  readonly objectId: string;
  readonly contentType?: string;
  readonly name?: string;
}

/**
 * Where file bytes live (protocol.md §9). Clients never send bytes through a chat packet: they get
 * a signed URL from `uploadUrl`, PUT the bytes there, and later GET them from `downloadUrl`.
 * Signing is local (no network), so URLs can be rendered synchronously into user and
 * conversation objects.
 */
export interface ObjectStorage {
  /** The driver name for logs. */
  readonly driver: string;
  /**
   * A URL that accepts one PUT of exactly `meta.size` bytes until `now` + the upload lifetime.
   * A body of any other size is refused.
   */
  uploadUrl(meta: StoredObjectMeta, now: number): string;
  /**
   * A URL that serves the bytes for at least the download lifetime from `now`. URLs are stable
   * within a time window (same input, same URL), so clients' HTTP caches work.
   */
  downloadUrl(meta: DownloadMeta, now: number): string;
  /** Removes the bytes; missing objects are not an error. */
  delete(objectIds: readonly string[]): Promise<void>;
  /**
   * Stores the file at `path` (`size` bytes) as object `objectId`, replacing any object of that
   * id. For Parley's own objects (data export archives), never for client uploads.
   */
  put(objectId: string, path: string, size: number): Promise<void>;
  /** The object's bytes, or undefined when there is no such object. */
  read(objectId: string): Promise<Readable | undefined>;
  /** Makes sure the backing place exists (directory, bucket). */
  start(): Promise<void>;
}

/** The outcome of a request to the local driver's own upload/download endpoint. */
export type LocalTransferResult =
  | { readonly kind: 'stored' }
  | { readonly kind: 'file'; readonly body: Readable; readonly size: number; readonly contentType: string; readonly name: string; readonly start: number; readonly end: number; readonly partial: boolean }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string };

/** A verified download request for the local endpoint. */
export interface LocalDownload {
  readonly objectId: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The Range header, if any (one `bytes=a-b` range is honoured). */
  readonly range: string | undefined;
}

/** A verified upload request for the local endpoint. */
export interface LocalUpload {
  readonly objectId: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Content-Length as sent, if any. */
  readonly contentLength: number | undefined;
  readonly body: Readable;
}

/**
 * The HTTP side of the `local` driver: Parley itself plays the object store. The transport
 * hands requests over; every check (signature, expiry, size, write-once) happens here.
 */
export interface LocalFileEndpoint {
  upload(req: LocalUpload): Promise<LocalTransferResult>;
  download(req: LocalDownload): Promise<LocalTransferResult>;
}
