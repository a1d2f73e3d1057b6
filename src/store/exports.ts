/**
 * Personal data export jobs (part of the store interface, re-exported by store.ts). Same
 * conventions as every store port.
 */
import type { MessageRecord } from './store.js';

export type DataExportStatus = 'pending' | 'running' | 'ready' | 'failed';

export interface DataExportRecord {
  /** 24 hex: also the storage object id of the archive. */
  readonly _id: string;
  readonly organization_id: string;
  /** Whose data. */
  readonly user_id: string;
  /** `user` (parley_data_export) or `admin` (the admin API). */
  readonly requested_by: 'user' | 'admin';
  readonly status: DataExportStatus;
  /** While running: until when the node building it holds it; after that another node may. */
  readonly lease_until: number | null;
  /** Archive size in bytes once ready. */
  readonly size: number | null;
  /** Why it failed (an operator-facing text, never sent to clients). */
  readonly error: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  /** The row and its archive are deleted after this. */
  readonly expires_at: number;
}

/**
 * Export jobs. A job is claimed by one node at a time through a lease, so a cluster builds each
 * archive once, and a job whose node died is taken over when the lease lapses; jobs live in the
 * store, so they survive restarts.
 */
export interface DataExportStore {
  insert(job: DataExportRecord): Promise<void>;
  /** The job if it belongs to this user of this organization. */
  byId(orgId: string, userId: string, id: string): Promise<DataExportRecord | undefined>;
  /** The user's jobs, newest first. */
  forUser(orgId: string, userId: string): Promise<DataExportRecord[]>;
  /**
   * Leases the oldest pending job, or a running one whose lease lapsed before `now`, until
   * `leaseUntil`; undefined when none is waiting. Two callers never get the same job at once.
   */
  claim(now: number, leaseUntil: number): Promise<DataExportRecord | undefined>;
  /**
   * Ends a job this caller still holds (its lease is `leaseUntil`): ready with the archive
   * size, or failed with a reason. False when the lease was lost (another node took over).
   */
  finish(id: string, leaseUntil: number, outcome: { status: 'ready'; size: number } | { status: 'failed'; error: string }, now: number): Promise<boolean>;
  /** Jobs past their expiry at `now`, oldest first. */
  expired(now: number, limit: number): Promise<DataExportRecord[]>;
  /** Removes these jobs (their archives are the caller's). */
  delete(ids: readonly string[]): Promise<void>;
  /** Messages the user sent, in id order after `afterId`: what their export holds. */
  sentMessages(orgId: string, userId: string, afterId: string | null, limit: number): Promise<MessageRecord[]>;
}
