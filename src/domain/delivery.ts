import type { Logger } from 'pino';
import { newId } from '../protocol/ids.js';
import type { OpLogRecord, OpLogStore, PushOutboxStore } from '../store/store.js';
import type { MissedSpec } from './delivery-recovery.js';
import { outboxRows } from './push.js';

/** Where a stored message sits in its conversation (MessageInsert.prev; design.md "Cluster"). */
export interface MessagePlace {
  readonly orgId: string;
  readonly cid: string;
  readonly id: string;
  /** The conversation's previous message, null when this is its first. */
  readonly prev: string | null;
  /** When the previous message was created (ms), null when there is none. */
  readonly prevAt: number | null;
  /** When this message was created (ms). */
  readonly at: number;
}

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
  /**
   * A new message from a store that orders across nodes: every node hands the conversation's
   * messages to its sockets in this order (transport/conversation-order.ts).
   */
  readonly place?: MessagePlace;
  /**
   * A new message whose pushes were queued with it (to `pushed`): a recipient believed connected
   * on another node who turns out to be gone gets the same push from that node.
   */
  readonly messagePush?: { readonly actorId: string; readonly pushed: readonly string[] };
}

/** One delivery handed to a LiveDirectory that takes a whole fan-out at once (a cluster). */
export interface FanOut {
  readonly orgId: string;
  readonly to: Iterable<string>;
  readonly bytes: string;
  readonly exceptDevice?: { readonly userId: string; readonly deviceId: string };
  readonly place?: MessagePlace;
  /** What a node that finds a recipient gone does instead (DeliveryRecovery.missed). */
  readonly missed: MissedSpec;
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
  /**
   * Optional: sends a whole delivery at once and returns the recipients with no connected device
   * anywhere. A cluster implements it to keep message order across nodes and to hand recipients
   * that vanished in flight to DeliveryRecovery; without it, sendToUser is called per recipient.
   */
  fanOut?(f: FanOut): string[];
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
    const recipients = new Set(d.to);
    const push = d.push;
    const toPush = push && this.outbox ? [...recipients].filter((id) => id !== push.actorId && !push.skip?.includes(id) && this.live.needsPush(d.orgId, id)) : [];
    const offline = this.live.fanOut ? this.live.fanOut({ orgId: d.orgId, to: recipients, bytes, ...(d.exceptDevice ? { exceptDevice: d.exceptDevice } : {}), ...(d.place ? { place: d.place } : {}), missed: missedSpec(d, toPush) }) : this.sendEach(d, recipients, bytes);
    const writes: Promise<void>[] = [];
    if (d.offline === 'oplog' && offline.length > 0) {
      const rows: OpLogRecord[] = offline.map((userId) => ({ _id: newId(), organization_id: d.orgId, user_id: userId, packet: bytes, created_at: now, expires_at: now + this.opLogTtlMs }));
      writes.push(this.opLog.append(rows).catch((err: unknown) => {
        this.log.error({ err, recipients: offline.length }, 'operations log write failed');
      }));
    }
    if (push && this.outbox && toPush.length > 0) {
      writes.push(this.outbox.enqueue(outboxRows(d.orgId, toPush, push.payload, now)).catch((err: unknown) => {
        this.log.error({ err, recipients: toPush.length }, 'push outbox write failed');
      }));
    }
    return Promise.all(writes).then(() => undefined);
  }

  /** Sends to each recipient's sockets; returns those with no connected device. */
  private sendEach(d: Delivery, recipients: Iterable<string>, bytes: string): string[] {
    const offline: string[] = [];
    for (const userId of recipients) {
      const except = d.exceptDevice?.userId === userId ? d.exceptDevice.deviceId : undefined;
      if (!this.live.sendToUser(d.orgId, userId, bytes, except)) offline.push(userId);
    }
    return offline;
  }
}

/**
 * What another node does for a recipient it finds gone: the op-log row and push this node would
 * have written, except pushes already queued here (`toPush`, or the message's own).
 */
function missedSpec(d: Delivery, toPush: readonly string[]): MissedSpec {
  const spec = { k: d.place?.id ?? newId(), o: d.offline === 'oplog' };
  if (d.push) return { ...spec, p: d.push.payload, a: d.push.actorId, s: [...(d.push.skip ?? []), ...toPush] };
  if (d.messagePush && d.place) return { ...spec, m: d.place.id, a: d.messagePush.actorId, s: d.messagePush.pushed };
  return spec;
}
