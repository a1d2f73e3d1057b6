import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { OpLogRecord, Store } from '../store/store.js';
import { conversationRecipients } from './conversations.js';
import type { FileService } from './files.js';
import { messageWire } from './messages.js';
import { chatPushPayload } from './push.js';

/**
 * What the node that sent a delivery would have done for a recipient it believed connected
 * elsewhere: carried with the delivery to the recipient's node, used there when the recipient
 * turns out to have no device anywhere. Short keys: this travels with cross-node deliveries.
 */
export interface MissedSpec {
  /** A key unique to the delivery (the message id for messages): recovery rows derive their ids from it. */
  readonly k: string;
  /** True: store the packet in the recipient's operations log (Delivery.offline 'oplog'). */
  readonly o: boolean;
  /** A push payload for the recipient, unless the recipient is `a` (the actor) or in `s`. */
  readonly p?: Record<string, unknown>;
  /** A message's push, built from the stored message `m` (its payload is only made when needed). */
  readonly m?: string;
  readonly a?: string;
  /** Recipients already given a push by the sending node. */
  readonly s?: readonly string[];
}

/** A message read back from the store to fill a gap: its packet and the users it goes to. */
export interface RecoveredMessage {
  readonly id: string;
  /** When it was made (ms): only sockets connected by then are sent it. */
  readonly createdAt: number;
  readonly bytes: string;
  /** The conversation's recipients other than the sender (whose own device sent it). */
  readonly to: readonly string[];
}

/** A row id made from a delivery key and a user: the same for every node that makes it. */
export function derivedId(key: string, userId: string): string {
  return createHash('sha256').update(`${key}\n${userId}`).digest('hex').slice(0, 24);
}

/** Largest gap read back from the store at once; a longer one is read in several steps. */
const GAP_PAGE = 200;

/**
 * The store side of a cluster's delivery: what a node does for deliveries it heard of but could
 * not hand to a socket, and for messages it never heard of (a notification Redis lost). The
 * store is the log; these read it and write to it, never to the bus.
 */
export class DeliveryRecovery {
  constructor(
    private readonly store: Store,
    private readonly files: FileService,
    private readonly opLogTtlMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Writes the operations-log rows and pushes `spec` asks for, for recipients with no device
   * anywhere. Idempotent: row ids derive from the delivery key and the user, so two nodes doing
   * this for one recipient write one row and one push.
   */
  async missed(orgId: string, userIds: readonly string[], bytes: string, spec: MissedSpec, now: number): Promise<void> {
    try {
      if (spec.o) {
        const rows: OpLogRecord[] = userIds.map((userId) => ({ _id: derivedId(spec.k, userId), organization_id: orgId, user_id: userId, packet: bytes, created_at: now, expires_at: now + this.opLogTtlMs }));
        await this.store.opLog.append(rows);
      }
      const toPush = userIds.filter((id) => id !== spec.a && !(spec.s ?? []).includes(id));
      if (toPush.length === 0) return;
      const payload = spec.p ?? (spec.m === undefined ? undefined : await this.messagePush(orgId, spec.m, now));
      if (!payload) return;
      const text = JSON.stringify(payload);
      await this.store.pushOutbox.enqueue(toPush.map((user_id) => ({ _id: derivedId(`push\n${spec.k}`, user_id), organization_id: orgId, user_id, payload: text, created_at: now })));
    } catch (err) {
      this.log.error({ err, recipients: userIds.length }, 'could not record a missed cross-node delivery');
    }
  }

  /** The push a stored message gives its offline recipients (as `message` builds it). */
  private async messagePush(orgId: string, messageId: string, now: number): Promise<Record<string, unknown> | undefined> {
    const m = await this.store.messages.byId(orgId, messageId);
    if (!m) return undefined;
    const [conv, sender] = await Promise.all([this.store.conversations.byId(orgId, m.cid), this.store.users.byId(orgId, m.from)]);
    if (!conv || !sender) return undefined;
    const fileId = m.attachments?.[0]?.file_id;
    const url = typeof fileId === 'string' ? (await this.files.downloadUrls(orgId, m.from, [fileId], now))[fileId] : undefined;
    return chatPushPayload(sender.login, conv, m, url);
  }

  /**
   * The messages of `cid` after `afterId` and before `beforeId` (null: open), oldest first, as
   * packets with their recipients now. Recipients are today's participants: someone removed
   * since does not get it, someone added since does (they may read it with message_list anyway).
   */
  async gap(orgId: string, cid: string, afterId: string | null, beforeId: string | null): Promise<RecoveredMessage[]> {
    const conv = await this.store.conversations.byId(orgId, cid);
    if (!conv) return [];
    const out: RecoveredMessage[] = [];
    let after = afterId;
    let recipients: string[] | undefined;
    for (;;) {
      const page = await this.store.messages.range(orgId, cid, after, beforeId, GAP_PAGE);
      if (page.length === 0) break;
      recipients ??= await conversationRecipients(this.store, conv);
      for (const m of page) out.push({ id: m._id, createdAt: m.created_at, bytes: JSON.stringify({ message: messageWire(m, conv.type) }), to: recipients.filter((u) => u !== m.from) });
      if (page.length < GAP_PAGE) break;
      after = page[page.length - 1]?._id ?? null;
    }
    return out;
  }
}
