import type { ObjectStorage } from '../files/storage.js';
import type { RowCounts, Store } from '../store/store.js';
import { handOverOwnership } from './conversations.js';

/** Where an erasure reports how far it got (the CLI's progress bar has this shape). */
export interface ErasureProgress {
  tick(n?: number): void;
  setTotal(total: number): void;
}

export interface ErasureOptions {
  /** Rows per step (messages, files, table rows); each step is one short transaction. */
  readonly batch?: number;
  readonly now?: number;
  readonly progress?: ErasureProgress;
  /**
   * After each step, wait as long as the step took, so other writers get at least half of the
   * store's write time. For SQLite, where one writer holds the whole database: a server's
   * message writes would otherwise wait for the whole deletion, since its busy retries keep
   * missing the gaps between steps.
   */
  readonly yieldToWriters?: boolean;
}

/** What deleting an organization removed. */
export interface OrganizationErasure {
  /** Rows per table as they were when the deletion started (all of them are gone). */
  readonly removed: RowCounts;
}

/** What deleting a user removed. */
export interface UserErasure {
  /** The user's rows per table as they were when the deletion started (see eraseUser for what stays). */
  readonly removed: RowCounts;
  /** Conversations the user was the last participant of, deleted with all their messages. */
  readonly conversationsDeleted: number;
  /** Groups and channels the user owned that passed to their oldest remaining participant. */
  readonly ownershipsHandedOver: number;
}

const DEFAULT_BATCH = 500;
const NO_PROGRESS: ErasureProgress = { tick: () => undefined, setTotal: () => undefined };

/** Tables whose rows go with their message, conversation or file rather than in a step of their own. */
const DEPENDENT_TABLES = new Set(['message_statuses', 'message_reactions', 'message_hidden', 'encrypted_inbox', 'conversation_participants', 'conversation_handlers', 'file_links']);

const sum = (counts: RowCounts, skip: ReadonlySet<string> = new Set()): number => Object.entries(counts).reduce((s, [table, n]) => s + (skip.has(table) ? 0 : n), 0);

/** Longest pause between two steps, ms. */
const MAX_PAUSE_MS = 250;

/** Runs one step of a bulk change, then (with `yieldToWriters`) leaves the store to others as long. */
export type StepRunner = <T>(work: () => Promise<T>) => Promise<T>;

/** The step runner for these options (see ErasureOptions.yieldToWriters); other bulk commands use it too. */
export function stepRunner(opts: Pick<ErasureOptions, 'yieldToWriters'>): StepRunner {
  if (opts.yieldToWriters !== true) return (work) => work();
  return async (work) => {
    const started = performance.now();
    const result = await work();
    const pause = Math.min(MAX_PAUSE_MS, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, pause));
    return result;
  };
}

/** Deletes the files (bytes first, then rows, as the periodic cleanup does) that `next` pages out. */
async function deleteFiles(store: Store, storage: ObjectStorage | undefined, next: () => Promise<string[]>, progress: ErasureProgress, step: StepRunner): Promise<void> {
  for (;;) {
    const ids = await next();
    if (ids.length === 0) return;
    if (storage) await storage.delete(ids);
    await step(() => store.files.delete(ids));
    progress.tick(ids.length);
  }
}

/** Deletes the archives of the user's data exports (their rows go with the user's private rows). */
async function deleteExportArchives(store: Store, storage: ObjectStorage | undefined, orgId: string, userId: string): Promise<void> {
  const jobs = await store.exports.forUser(orgId, userId);
  if (storage && jobs.length > 0) await storage.delete(jobs.map((j) => j._id));
}

/** Deletes messages of `cid` (only those `from` sent, when given) in bounded steps. */
async function deleteMessages(store: Store, orgId: string, which: { cid?: string; from?: string }, batch: number, progress: ErasureProgress, step: StepRunner): Promise<void> {
  for (;;) {
    const n = await step(() => store.admin.deleteMessages(orgId, which, batch));
    if (n === 0) return;
    progress.tick(n);
  }
}

/**
 * Deletes an organization and everything in it: files (bytes through `storage`, unless it is
 * undefined, then the records), every conversation with its messages, then the rest table by
 * table, the organization row last. Every step is a short transaction, so a server using the
 * store keeps working meanwhile, and an interrupted deletion is finished by running it again.
 * Other organizations are never touched (AdminStore's guarantee).
 */
export async function eraseOrganization(store: Store, storage: ObjectStorage | undefined, orgId: string, opts: ErasureOptions = {}): Promise<OrganizationErasure> {
  const batch = opts.batch ?? DEFAULT_BATCH;
  const progress = opts.progress ?? NO_PROGRESS;
  const step = stepRunner(opts);
  const removed = await store.admin.countOrganization(orgId);
  progress.setTotal(sum(removed, DEPENDENT_TABLES));
  await deleteFiles(store, storage, () => store.admin.fileIds(orgId, { limit: batch }), progress, step);
  for (let page = await store.admin.users(orgId, { limit: batch }); page.length > 0; ) {
    for (const u of page) await deleteExportArchives(store, storage, orgId, u._id);
    page = page.length < batch ? [] : await store.admin.users(orgId, { limit: batch, afterId: page[page.length - 1]?._id ?? '' });
  }
  for (;;) {
    const cids = await store.admin.conversationIds(orgId, { limit: batch });
    if (cids.length === 0) break;
    for (const cid of cids) {
      await deleteMessages(store, orgId, { cid }, batch, progress, step);
      await step(() => store.conversations.delete(orgId, cid));
      progress.tick();
    }
  }
  // Table by table; when a pass ends, one more from the first table catches rows written
  // meanwhile (a client of the organization still connected to a running server).
  let from: string | undefined;
  for (;;) {
    const done = await step(() => store.admin.deleteOrganizationRows(orgId, batch, from));
    if (done) {
      from = done.table;
      progress.tick(done.count);
      continue;
    }
    if (from === undefined) break;
    from = undefined;
  }
  return { removed };
}

/**
 * Deletes a user with their data. Always: the account (profile fields with it), tokens,
 * block-list rows either side, address book, push subscriptions, queued pushes to them, push
 * events they sent, key bundles, operations log, data exports with their archives, and the
 * avatar file if they uploaded it. Unless `keepMessages` (which does what SAMA's user_delete keeps: messages,
 * memberships, statuses, reactions, files), also: the files they uploaded (bytes through
 * `storage` unless undefined), the messages they sent, their read statuses, reactions and hidden
 * markers, and their memberships — each conversation is left as `conversation_delete` leaves
 * it: deleted when they were the last one in it, a group's ownership handed to the oldest
 * remaining participant. Messages of others stay. Nothing is sent to connected clients (the
 * CLI asks a running server to end the user's sessions).
 */
export async function eraseUser(store: Store, storage: ObjectStorage | undefined, orgId: string, userId: string, opts: ErasureOptions & { keepMessages?: boolean } = {}): Promise<UserErasure> {
  const batch = opts.batch ?? DEFAULT_BATCH;
  const progress = opts.progress ?? NO_PROGRESS;
  const now = opts.now ?? Date.now();
  const step = stepRunner(opts);
  await deleteExportArchives(store, storage, orgId, userId);
  if (opts.keepMessages === true) {
    // No row count first: user_delete runs this on a request path, and deleteUserRows says
    // what went.
    progress.setTotal(1);
    // The avatar is profile data, not part of any message: it goes even when messages stay.
    const avatar = (await store.users.byId(orgId, userId))?.avatar_object?.file_id;
    const own = avatar === undefined ? [] : (await store.files.byObjectIds(orgId, [avatar])).filter((f) => f.user_id === userId).map((f) => f.object_id);
    if (own.length > 0) {
      if (storage) await storage.delete(own);
      await store.files.delete(own);
    }
    const removed = await store.admin.deleteUserRows(orgId, userId, { activity: false });
    progress.tick();
    return { removed, conversationsDeleted: 0, ownershipsHandedOver: 0 };
  }
  const counts = await store.admin.countUser(orgId, userId);
  progress.setTotal((counts.messages ?? 0) + (counts.files ?? 0) + (counts.conversation_participants ?? 0) + 1);
  await deleteFiles(store, storage, () => store.admin.fileIds(orgId, { limit: batch, userId }), progress, step);
  const cids: string[] = [];
  for (let page = await store.admin.conversationIds(orgId, { limit: batch, userId }); page.length > 0; ) {
    cids.push(...page);
    page = page.length < batch ? [] : await store.admin.conversationIds(orgId, { limit: batch, userId, afterId: page[page.length - 1] ?? '' });
  }
  let conversationsDeleted = 0;
  let ownershipsHandedOver = 0;
  for (const cid of cids) {
    const conv = await store.conversations.byId(orgId, cid);
    await store.participants.remove(orgId, cid, [userId]);
    if (conv && (await store.participants.list(cid)).length === 0) {
      await deleteMessages(store, orgId, { cid }, batch, progress, step);
      await step(() => store.conversations.delete(orgId, cid));
      conversationsDeleted += 1;
    } else {
      if (conv && conv.type !== 'u' && conv.owner_id === userId) {
        await handOverOwnership(store, conv, now);
        ownershipsHandedOver += 1;
      }
      await deleteMessages(store, orgId, { cid, from: userId }, batch, progress, step);
    }
    progress.tick();
  }
  // Messages in conversations the user had already left.
  await deleteMessages(store, orgId, { from: userId }, batch, progress, step);
  await store.admin.deleteUserRows(orgId, userId, { activity: true });
  progress.tick();
  return { removed: counts, conversationsDeleted, ownershipsHandedOver };
}
