import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ObjectStorage } from '../files/storage.js';
import { Errors, samaError } from '../protocol/errors.js';
import { newId } from '../protocol/ids.js';
import type { DataExportRecord, Store } from '../store/store.js';
import type { DeliveryService } from './delivery.js';
import { writeExportArchive } from './export-archive.js';

export interface DataExportOptions {
  /** How long an export (row, archive, download URL) lives after it was requested, ms. */
  readonly ttlMs: number;
  /** A user may request one export per this long, ms (admins are not limited). */
  readonly minIntervalMs: number;
  /** How long a node holds a job it builds before another node may take it over, ms. */
  readonly leaseMs: number;
  /** Where archives are written before they go to storage. */
  readonly workDir: string;
  /** Key of the download URLs' signatures. */
  readonly urlKey: string;
  /** Base URL clients reach this node at, without a trailing slash. */
  readonly baseUrl: () => string;
}

/** The wire shape of an export job (docs/protocol-extensions.md). */
export interface DataExportWire {
  _id: string;
  status: DataExportRecord['status'];
  created_at: string;
  updated_at: string;
  expires_at: string;
  size?: number;
  url?: string;
}

/** Why a download URL is refused, as the route answers it. */
export type UrlCheck = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly reason: string };

const OBJECT_ID = /^[0-9a-f]{24}$/;

/**
 * Personal data exports: jobs requested by a user (rate-limited) or an admin, built by whichever
 * node claims them (one at a time, leased, so a cluster builds each once and a job whose node
 * died is built by another), stored as a storage object named by the job id, offered through a
 * signed URL that ends with the job, and deleted when they expire. The user who asked is told
 * with `parley_data_export_ready` (kept in the operations log while they are offline).
 */
export class DataExports {
  constructor(
    private readonly store: Store,
    private readonly storage: ObjectStorage,
    private readonly delivery: DeliveryService | undefined,
    private readonly log: Logger,
    private readonly opts: DataExportOptions,
  ) {}

  /** Starts an export job; a user's second request within the interval is a 429. */
  async request(orgId: string, userId: string, by: 'user' | 'admin', now: number): Promise<DataExportRecord> {
    if (by === 'user') {
      const [latest] = await this.store.exports.forUser(orgId, userId);
      if (latest && latest.requested_by === 'user' && latest.created_at > now - this.opts.minIntervalMs) throw samaError(Errors.tooManyRequests);
    }
    const job: DataExportRecord = { _id: newId(), organization_id: orgId, user_id: userId, requested_by: by, status: 'pending', lease_until: null, size: null, error: null, created_at: now, updated_at: now, expires_at: now + this.opts.ttlMs };
    await this.store.exports.insert(job);
    return job;
  }

  /** A job as clients see it: the URL only while it is ready and not expired. */
  wire(job: DataExportRecord, now: number): DataExportWire {
    const out: DataExportWire = {
      _id: job._id,
      status: job.status,
      created_at: new Date(job.created_at).toISOString(),
      updated_at: new Date(job.updated_at).toISOString(),
      expires_at: new Date(job.expires_at).toISOString(),
    };
    if (job.status === 'ready' && job.size !== null) out.size = job.size;
    if (job.status === 'ready' && job.expires_at > now) out.url = this.url(job);
    return out;
  }

  /** `<base>/exports/<id>?expires=<unix s>&signature=…`, valid until the job expires. */
  url(job: DataExportRecord): string {
    const expires = String(Math.floor(job.expires_at / 1000));
    return `${this.opts.baseUrl()}/exports/${job._id}?expires=${expires}&signature=${this.signature(job._id, expires)}`;
  }

  /** Checks a download URL's signature and expiry (403 either way, as file URLs are refused). */
  checkUrl(id: string, query: Readonly<Record<string, string | undefined>>, now: number): UrlCheck {
    const { expires, signature } = query;
    if (!OBJECT_ID.test(id) || expires === undefined || signature === undefined || !/^\d{1,12}$/.test(expires)) return { ok: false, status: 403, reason: 'Invalid signature.' };
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.signature(id, expires));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, reason: 'Invalid signature.' };
    if (Number(expires) * 1000 < now) return { ok: false, status: 403, reason: 'This URL has expired.' };
    return { ok: true };
  }

  /**
   * Builds one waiting job if there is one: claims it, writes the archive, stores it, marks it
   * ready (or failed) and tells the user. True when a job was taken.
   */
  async runOnce(now: number): Promise<boolean> {
    const leaseUntil = now + this.opts.leaseMs;
    const job = await this.store.exports.claim(now, leaseUntil);
    if (!job) return false;
    await mkdir(this.opts.workDir, { recursive: true });
    const path = join(this.opts.workDir, `${job._id}.tar.gz`);
    let outcome: { status: 'ready'; size: number } | { status: 'failed'; error: string };
    try {
      const summary = await writeExportArchive(this.store, this.storage, job.organization_id, job.user_id, path, now);
      if (!summary) outcome = { status: 'failed', error: 'the user no longer exists' };
      else {
        await this.storage.put(job._id, path, summary.size);
        outcome = { status: 'ready', size: summary.size };
        this.log.info({ export: job._id, ...summary }, 'data export ready');
      }
    } catch (err) {
      this.log.error({ err, export: job._id }, 'data export failed');
      outcome = { status: 'failed', error: err instanceof Error ? err.message : String(err) };
    } finally {
      await unlink(path).catch(() => undefined);
    }
    const done = Date.now();
    if (!(await this.store.exports.finish(job._id, leaseUntil, outcome, done))) {
      this.log.warn({ export: job._id }, 'data export lease lapsed while building; another node finishes it');
      return true;
    }
    if (job.requested_by === 'user' && this.delivery) {
      const finished: DataExportRecord = { ...job, status: outcome.status, size: outcome.status === 'ready' ? outcome.size : null, lease_until: null, updated_at: done };
      await this.delivery.deliver({ orgId: job.organization_id, to: [job.user_id], packet: { parley_data_export_ready: { export: this.wire(finished, done) } }, offline: 'oplog' }, done);
    }
    return true;
  }

  /** Deletes expired jobs with their archives; returns how many. */
  async expire(now: number, batch = 100): Promise<number> {
    let removed = 0;
    for (;;) {
      const due = await this.store.exports.expired(now, batch);
      if (due.length === 0) return removed;
      await this.storage.delete(due.map((j) => j._id));
      await this.store.exports.delete(due.map((j) => j._id));
      removed += due.length;
      if (due.length < batch) return removed;
    }
  }

  private signature(id: string, expires: string): string {
    return createHmac('sha256', this.opts.urlKey).update(`GET\n/exports/${id}\n${expires}`).digest('base64url');
  }
}

/**
 * The export URLs' key, derived from the JWT secret: every node of a cluster shares that one
 * (FILE_URL_SECRET need not be shared when files are on S3), and a derived key signs nothing
 * a token could be mistaken for.
 */
export function exportUrlKey(jwtSecret: string): string {
  return createHmac('sha256', jwtSecret).update('parley data export download urls').digest('hex');
}
