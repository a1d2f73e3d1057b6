import type { Logger } from 'pino';
import { newId } from '../protocol/ids.js';
import type { OpLogRecord, OpLogStore } from '../store/store.js';

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
}

/**
 * Port to the live sockets (this node now; a bus-backed directory for clusters later).
 * `sendToUser` writes `bytes` to every connected device of the user except `exceptDeviceId` and
 * returns true when the user has at least one connected device (the excepted one included).
 */
export interface LiveDirectory {
  sendToUser(orgId: string, userId: string, bytes: string, exceptDeviceId?: string): boolean;
}

/** Carries out deliveries: live sends first, then op-log rows for fully offline recipients. */
export class DeliveryService {
  constructor(
    private readonly live: LiveDirectory,
    private readonly opLog: OpLogStore,
    private readonly opLogTtlMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Sends `d` now (synchronously, so callers that serialise per conversation keep order) and
   * resolves once the op-log rows of offline recipients are committed.
   */
  deliver(d: Delivery, now: number): Promise<void> {
    const bytes = JSON.stringify(d.packet);
    const offline: string[] = [];
    for (const userId of new Set(d.to)) {
      const except = d.exceptDevice?.userId === userId ? d.exceptDevice.deviceId : undefined;
      const online = this.live.sendToUser(d.orgId, userId, bytes, except);
      if (!online) offline.push(userId);
    }
    if (d.offline === 'drop' || offline.length === 0) return Promise.resolve();
    const rows: OpLogRecord[] = offline.map((userId) => ({ _id: newId(), organization_id: d.orgId, user_id: userId, packet: bytes, created_at: now, expires_at: now + this.opLogTtlMs }));
    return this.opLog.append(rows).catch((err: unknown) => {
      this.log.error({ err, recipients: offline.length }, 'operations log write failed');
    });
  }
}
