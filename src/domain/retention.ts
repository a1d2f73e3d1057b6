import type { Logger } from 'pino';
import type { ObjectStorage } from '../files/storage.js';
import type { ExpiredMessage, RetentionPeriods, Store } from '../store/store.js';
import { conversationRecipients } from './conversations.js';
import type { DeliveryService } from './delivery.js';


/** The period in force for `cid`: its own if set, else the organization's, else none (null). */
export function effectivePeriod(p: RetentionPeriods, cid: string): number | null {
  return p.conversations.get(cid) ?? p.organization;
}

/** The cut-off (see retentionCutoff) for `cid` from periods already read, or undefined. */
export function cutoffOf(p: RetentionPeriods, cid: string, now: number): number | undefined {
  const seconds = effectivePeriod(p, cid);
  return seconds === null ? undefined : now - seconds * 1000;
}

/**
 * The oldest creation time (epoch ms) a message of `cid` may have at `now` and still be shown,
 * or undefined when no period applies. Reads use it so that an expired message is never
 * listed, even before the sweeper has deleted it.
 */
export async function retentionCutoff(store: Store, orgId: string, cid: string, now: number): Promise<number | undefined> {
  return cutoffOf(await store.retention.periods(orgId, [cid]), cid, now);
}

/** What one sweep did. */
export interface SweepResult {
  readonly messages: number;
  readonly files: number;
}

export interface RetentionSweeperOptions {
  /** Messages per transaction. */
  readonly batch: number;
  /** Batches per run at most; the rest waits for the next run, so one run stays short. */
  readonly maxBatches: number;
}

/**
 * Deletes what outlived its retention period: messages (with statuses, reactions, hidden
 * markers and encrypted-inbox rows), then files no remaining message or conversation names,
 * and tells each conversation's participants with SAMA's `message_delete` event, exactly as
 * a delete for all does (not kept for offline users: a device that reconnects lists the
 * conversation again, which no longer has them). Every node may run it: the store hands each
 * deleted message to one sweep only, so each event is sent once, through the delivery service
 * and so through the bus to every node.
 */
export class RetentionSweeper {
  constructor(
    private readonly store: Store,
    private readonly storage: ObjectStorage,
    private readonly delivery: DeliveryService,
    private readonly log: Logger,
    private readonly opts: RetentionSweeperOptions,
  ) {}

  async sweep(now: number): Promise<SweepResult> {
    let messages = 0;
    let files = 0;
    for (let i = 0; i < this.opts.maxBatches; i++) {
      const batch = await this.store.retention.sweepMessages(now, this.opts.batch);
      if (batch.length === 0) break;
      messages += batch.length;
      files += await this.settle(batch, now);
      if (batch.length < this.opts.batch) break;
    }
    if (messages > 0) this.log.info({ messages, files }, 'retention sweep deleted expired messages');
    return { messages, files };
  }

  /** Tells participants and releases the files of one batch of deleted messages. */
  private async settle(batch: readonly ExpiredMessage[], now: number): Promise<number> {
    const byConversation = new Map<string, ExpiredMessage[]>();
    for (const m of batch) {
      const key = `${m.organization_id}/${m.cid}`;
      const list = byConversation.get(key);
      if (list) list.push(m);
      else byConversation.set(key, [m]);
    }
    let files = 0;
    for (const list of byConversation.values()) {
      const first = list[0];
      if (!first) continue;
      const { organization_id: orgId, cid } = first;
      const conversation = await this.store.conversations.byId(orgId, cid);
      if (conversation) {
        const to = await conversationRecipients(this.store, conversation);
        // One event per author: `from` names whose messages went, as a delete by the author would.
        const byAuthor = new Map<string, string[]>();
        for (const m of list) byAuthor.set(m.from, [...(byAuthor.get(m.from) ?? []), m.id]);
        for (const [from, ids] of byAuthor) {
          await this.delivery.deliver({ orgId, to, packet: { message_delete: { ids, cid, c_type: conversation.type, from, type: 'all' } }, offline: 'drop' }, now);
        }
      }
      const orphans = await this.store.retention.releaseFiles(orgId, cid, [...new Set(list.flatMap((m) => m.fileIds))]);
      if (orphans.length > 0) {
        // Bytes first, then rows (as the unattached-file cleanup does): a crash in between only
        // leaves rows whose bytes are gone, which the next release or cleanup removes.
        await this.storage.delete(orphans);
        await this.store.files.delete(orphans);
        files += orphans.length;
      }
    }
    return files;
  }
}
