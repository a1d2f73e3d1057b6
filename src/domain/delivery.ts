import type { Logger } from 'pino';
import { newId } from '../protocol/ids.js';
import type { OpLogRecord, OpLogStore, PushOutboxStore } from '../store/store.js';
import { outboxRows } from './push.js';

/**
 * One packet to hand to a set of users (protocol.md §4). Built by handlers, carried out by the
 * transport after the reply: the packet is encoded once and the same bytes go to every socket.
 */
export interface Delivery {
  readonly orgId: string;
  /** Recipient user ids (duplicates are ignored). */
  readonly to: readonly string[];
  readonly packet: Record<string, unknown>;
  /** The sending device, which gets no copy (carbons go to the sender's other devices). */
  readonly exceptDevice?: { readonly userId: string; readonly deviceId: string };
  /**
   * What recipients with no connected device get: 'oplog' stores the packet in their operations
   * log (protocol.md §4.6 families), 'drop' sends nothing (edits, deletes, typing, reactions).
   */
  readonly offline: 'oplog' | 'drop';
  /**
   * A push (protocol.md §7.2) for recipients who need one — no connected device, or a
   * backgrounded one — other than the acting user. Queued in the durable outbox.
   */
  readonly push?: { readonly payload: Record<string, unknown>; readonly actorId: string; readonly skip?: readonly string[] };
}

/**
 * Port to the live sockets: this node's (transport/sessions.ts), or in a cluster this node's plus
 * other nodes' through the bus (transport/cluster-sessions.ts).
 * `sendToUser` writes `bytes` to every connected device of the user except `exceptDeviceId` and
 * returns true when the user has at least one connected device (the excepted one included).
 */
export interface LiveDirectory {
  sendToUser(orgId: string, userId: string, bytes: string, exceptDeviceId?: string): boolean;
  /** True when the user has no connected device here, or a backgrounded one (protocol.md §4.4). */
  needsPush(orgId: string, userId: string): boolean;
}

/** Carries out deliveries: live sends first, then op-log rows for fully offline recipients. */
export class DeliveryService {
  constructor(
    private readonly live: LiveDirectory,
    private readonly opLog: OpLogStore,
    private readonly opLogTtlMs: number,
    private readonly log: Logger,
    private readonly outbox?: Pick<PushOutboxStore, 'enqueue'>,
  ) {}

  /**
   * Sends `d` now (synchronously, so callers that serialise per conversation keep order) and
   * resolves once the op-log rows of offline recipients, and the pushes, are committed.
   */
  deliver(d: Delivery, now: number): Promise<void> {
    const bytes = JSON.stringify(d.packet);
    const offline: string[] = [];
    const recipients = new Set(d.to);
    for (const userId of recipients) {
      const except = d.exceptDevice?.userId === userId ? d.exceptDevice.deviceId : undefined;
      const online = this.live.sendToUser(d.orgId, userId, bytes, except);
      if (!online) offline.push(userId);
    }
    const writes: Promise<void>[] = [];
    if (d.offline === 'oplog' && offline.length > 0) {
      const rows: OpLogRecord[] = offline.map((userId) => ({ _id: newId(), organization_id: d.orgId, user_id: userId, packet: bytes, created_at: now, expires_at: now + this.opLogTtlMs }));
      writes.push(this.opLog.append(rows).catch((err: unknown) => {
        this.log.error({ err, recipients: offline.length }, 'operations log write failed');
      }));
    }
    const push = d.push;
    if (push && this.outbox) {
      const toPush = [...recipients].filter((id) => id !== push.actorId && !push.skip?.includes(id) && this.live.needsPush(d.orgId, id));
      if (toPush.length > 0) {
        writes.push(this.outbox.enqueue(outboxRows(d.orgId, toPush, push.payload, now)).catch((err: unknown) => {
          this.log.error({ err, recipients: toPush.length }, 'push outbox write failed');
        }));
      }
    }
    return Promise.all(writes).then(() => undefined);
  }
}
