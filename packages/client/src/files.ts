import { ParleyError } from './errors.js';
import type { Attachment, UploadedFile } from './protocol.js';
import type { FetchLike } from './runtime.js';

/** Bytes to upload: a `Blob`/`File` (browsers, Node ≥ 20), an `ArrayBuffer` or a `Uint8Array`. */
export type FileData = Blob | ArrayBuffer | Uint8Array;

/** One file to upload. `name` and `contentType` default to a `File`'s own. */
export interface FileToUpload {
  readonly data: FileData;
  readonly name?: string;
  readonly contentType?: string;
}

/** The announcement `create_files` needs for `file`. */
export function announcement(file: FileToUpload): { name: string; size: number; content_type: string } {
  const blob = typeof Blob !== 'undefined' && file.data instanceof Blob ? file.data : undefined;
  const size = blob ? blob.size : (file.data as ArrayBuffer | Uint8Array).byteLength;
  const name = file.name ?? (blob as { name?: unknown } | undefined)?.name;
  const contentType = file.contentType ?? (blob?.type || undefined);
  if (typeof name !== 'string' || name === '') throw new TypeError('a file to upload needs a name');
  if (contentType === undefined) throw new TypeError(`${name}: a file to upload needs a content type`);
  return { name, size, content_type: contentType };
}

/**
 * PUTs the bytes to the upload URL `create_files` gave (protocol.md §9). The server's local
 * storage wants exactly the announced size; S3-compatible storage checks the signature.
 */
export async function putFile(fetchFn: FetchLike, file: UploadedFile, data: FileData, signal?: AbortSignal): Promise<void> {
  const body = data instanceof Uint8Array ? new Blob([data as Uint8Array<ArrayBuffer>]) : data;
  const init: RequestInit = { method: 'PUT', body, headers: { 'content-type': file.content_type } };
  if (signal) init.signal = signal;
  const res = await fetchFn(file.upload_url, init);
  if (!res.ok) throw new ParleyError(res.status, (await res.text()) || res.statusText, `PUT ${file.name}`);
}

/** The attachment that refers to an uploaded file in a message (`file_id` = its `object_id`). */
export function attachmentOf(file: UploadedFile, extra: Omit<Attachment, 'file_id'> = {}): Attachment {
  return { file_id: file.object_id, file_name: file.name, file_content_type: file.content_type, file_size: file.size, ...extra };
}
