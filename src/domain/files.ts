import type { Logger } from 'pino';
import type { ObjectStorage } from '../files/storage.js';
import { Errors, bareError, samaError } from '../protocol/errors.js';
import { newId } from '../protocol/ids.js';
import type { FileRecord, FileStore, ImageRef } from '../store/store.js';

/** Limits on what `create_files` accepts (FILE_* settings). */
export interface FileRules {
  readonly maxSize: number;
  readonly maxRequestSize: number;
  /** Exact types or `type/*` wildcards; `*` accepts any. */
  readonly allowedTypes: readonly string[];
  /** Unattached files older than this (ms) are deleted by `cleanup`. */
  readonly unattachedMs: number;
}

/** One entry of `create_files` after checking. */
export interface FileAnnouncement {
  readonly name: string;
  readonly size: number;
  readonly content_type: string;
}

const OBJECT_ID = /^[0-9a-f]{24}$/;
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * A file name made safe to store and to put in a download header: the last path segment only,
 * without control or bidirectional-override characters, trimmed, at most 255 characters.
 * Undefined when nothing usable is left.
 */
export function sanitizeFileName(raw: string): string | undefined {
  const base = raw.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? undefined : clean;
}

/** Checks one `create_files` entry against the protocol's field rules and the configured limits. */
export function checkAnnouncement(item: unknown, rules: FileRules): FileAnnouncement {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw samaError(Errors.incorrectFileName);
  const { name, size, content_type: type } = item as Record<string, unknown>;
  const cleanName = typeof name === 'string' ? sanitizeFileName(name) : undefined;
  if (cleanName === undefined) throw samaError(Errors.incorrectFileName);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > rules.maxSize) throw samaError(Errors.incorrectFileSize);
  const contentType = typeof type === 'string' ? type.trim().toLowerCase() : '';
  if (!CONTENT_TYPE.test(contentType) || !typeAllowed(contentType, rules.allowedTypes)) throw samaError(Errors.incorrectContentType);
  return { name: cleanName, size, content_type: contentType };
}

function typeAllowed(type: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => a === '*' || a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

/** The wire shape of a file in the `create_files` reply (protocol.md §3.7). */
export function fileWire(f: FileRecord, uploadUrl: string): Record<string, unknown> {
  return {
    _id: f._id,
    organization_id: f.organization_id,
    user_id: f.user_id,
    name: f.name,
    size: f.size,
    content_type: f.content_type,
    object_id: f.object_id,
    created_at: new Date(f.created_at).toISOString(),
    updated_at: new Date(f.updated_at).toISOString(),
    upload_url: uploadUrl,
  };
}

/**
 * File rules shared by several packets: announcing uploads, who may get a download URL, sharing a
 * file with a conversation or the organization, rendering avatar and image URLs, and removing
 * files nobody ever attached.
 */
export class FileService {
  constructor(
    private readonly files: FileStore,
    private readonly storage: ObjectStorage,
    private readonly rules: FileRules,
    private readonly log: Logger,
  ) {}

  /** Stores the announced files and returns them with their upload URLs. */
  async announce(orgId: string, userId: string, items: readonly unknown[], now: number): Promise<Record<string, unknown>[]> {
    const checked = items.map((item) => checkAnnouncement(item, this.rules));
    if (checked.reduce((sum, f) => sum + f.size, 0) > this.rules.maxRequestSize) throw samaError(Errors.incorrectFileSize);
    const rows: FileRecord[] = checked.map((f) => ({ _id: newId(), organization_id: orgId, user_id: userId, object_id: newId(), ...f, uploaded_at: null, created_at: now, updated_at: now }));
    await this.files.insert(rows);
    return rows.map((f) => fileWire(f, this.storage.uploadUrl({ objectId: f.object_id, size: f.size, contentType: f.content_type, name: f.name }, now)));
  }

  /**
   * Download URLs keyed by object id. Every id must be a file the user may see (their upload, or
   * linked to a conversation they are in or to the organization); otherwise the whole request
   * fails with SAMA's "Can't find file", without telling which id or why.
   */
  async downloadUrls(orgId: string, userId: string, objectIds: readonly string[], now: number): Promise<Record<string, string>> {
    const ids = [...new Set(objectIds)];
    if (!ids.every((id) => OBJECT_ID.test(id))) throw bareError("Can't find file");
    const visible = await this.files.visibleTo(orgId, userId, ids);
    if (visible.length !== ids.length) throw bareError("Can't find file");
    const out: Record<string, string> = {};
    for (const f of visible) out[f.object_id] = this.storage.downloadUrl({ objectId: f.object_id, contentType: f.content_type, name: f.name }, now);
    return out;
  }

  /**
   * Shares the files among `fileIds` that the user may see with `scope` (a conversation id or
   * the organization) and returns their records. Ids the user may not see are not shared: a
   * client cannot gain access to someone else's file by naming it in a message.
   */
  async share(orgId: string, userId: string, fileIds: readonly string[], scope: string, now: number): Promise<FileRecord[]> {
    const ids = [...new Set(fileIds.filter((id) => OBJECT_ID.test(id)))];
    if (ids.length === 0) return [];
    const visible = await this.files.visibleTo(orgId, userId, ids);
    await this.files.link(orgId, visible.map((f) => f.object_id), scope, now);
    return visible;
  }

  /**
   * For avatars and conversation images: the file must be one the user may see, and is then
   * shared with `scope`. Refused otherwise, since everyone in the scope would get its URL.
   */
  async shareImage(orgId: string, userId: string, image: ImageRef | null | undefined, scope: string, now: number): Promise<void> {
    const id = image?.file_id;
    if (id === undefined) return;
    const shared = await this.share(orgId, userId, [id], scope, now);
    if (shared.length === 0) throw bareError("Can't find file");
  }

  /** The download URL of an avatar or conversation image, if it names a file. */
  imageUrl(image: ImageRef | null | undefined, now: number): string | undefined {
    const id = image?.file_id;
    return id !== undefined && OBJECT_ID.test(id) ? this.storage.downloadUrl({ objectId: id }, now) : undefined;
  }

  /** A download URL for a file already known to be visible (e.g. a push's first attachment). */
  urlOf(f: FileRecord, now: number): string {
    return this.storage.downloadUrl({ objectId: f.object_id, contentType: f.content_type, name: f.name }, now);
  }

  /**
   * Deletes files never attached to anything within the configured time: bytes first, then the
   * rows, so a crash in between only repeats the (idempotent) byte deletion. Returns how many;
   * `onRemoved` hears each batch's count (the admin CLI's progress bar).
   */
  async cleanup(now: number, batch = 500, onRemoved?: (count: number) => void): Promise<number> {
    let removed = 0;
    for (;;) {
      const due = await this.files.unlinked(now - this.rules.unattachedMs, batch);
      if (due.length === 0) return removed;
      const ids = due.map((f) => f.object_id);
      await this.storage.delete(ids);
      await this.files.delete(ids);
      removed += ids.length;
      onRemoved?.(ids.length);
      this.log.info({ count: ids.length }, 'removed files never attached');
      if (due.length < batch) return removed;
    }
  }
}
