import type { MessageBatchItem } from '../sql/message-batch.js';

/**
 * A message batch as the SQLite writer thread receives it: one flat array of primitives. Copying
 * an array of strings and numbers between threads costs far less than copying one object per row
 * (structured clone writes every key of every object), and the thread binds the values straight
 * to positional parameters.
 *
 * Per message, in order:
 * - the MESSAGE_COLUMNS values (MESSAGE_WIDTH of them),
 * - the number of hidden-for users, then their ids,
 * - the number of pushes, then PUSH_WIDTH values per push (PUSH_COLUMNS),
 * - the number of encrypted-inbox devices, then (if any) the rows' expiry and a user id and
 *   device id per device.
 */
export type FlatBatch = (string | number | null)[];

/** The messages columns in the order of the flat batch and of the insert's parameters. */
export const MESSAGE_COLUMNS = ['id', 'organization_id', 'cid', 'from_id', 'client_id', 'body', 'attachments', 'x', 'replied_message_id', 'forwarded_message_id', 'encrypted_message_type', 't', 'created_at', 'updated_at'] as const;
export const MESSAGE_WIDTH = MESSAGE_COLUMNS.length;
/** Offsets of the columns the writer reads itself. */
export const AT = { id: 0, organization_id: 1, cid: 2, from_id: 3, client_id: 4, created_at: 12 } as const;
/** The push_outbox columns of one push, in order. */
export const PUSH_COLUMNS = ['id', 'organization_id', 'user_id', 'payload', 'created_at'] as const;
export const PUSH_WIDTH = PUSH_COLUMNS.length;

export function encodeBatch(items: readonly MessageBatchItem[]): FlatBatch {
  const out: FlatBatch = [];
  for (const { record: m, hiddenFor, pushes, inbox } of items) {
    out.push(
      m._id,
      m.organization_id,
      m.cid,
      m.from,
      m.client_id,
      m.body,
      m.attachments === null ? null : JSON.stringify(m.attachments),
      m.x === null ? null : JSON.stringify(m.x),
      m.replied_message_id,
      m.forwarded_message_id,
      m.encrypted_message_type,
      m.t,
      m.created_at,
      m.updated_at,
    );
    out.push(hiddenFor.length);
    for (const u of hiddenFor) out.push(u);
    out.push(pushes.length);
    for (const p of pushes) out.push(p._id, p.organization_id, p.user_id, p.payload, p.created_at);
    const devices = inbox?.devices ?? [];
    out.push(devices.length);
    if (inbox && devices.length > 0) {
      out.push(inbox.expiresAt);
      for (const d of devices) out.push(d.user_id, d.device_id);
    }
  }
  return out;
}

/** Where one message's parts start in a flat batch. */
export interface FlatItem {
  /** Index of its first MESSAGE_COLUMNS value. */
  readonly at: number;
  /** Index of its first hidden-for user id, and how many there are. */
  readonly hiddenAt: number;
  readonly hiddenCount: number;
  /** Index of its first push value, and how many pushes (PUSH_WIDTH values each). */
  readonly pushAt: number;
  readonly pushCount: number;
  /** Index of its inbox rows' expiry (the device pairs follow), and how many devices. */
  readonly inboxAt: number;
  readonly inboxCount: number;
}

/** Walks a flat batch; throws if it is not well formed (a bug on the encoding side). */
export function readBatch(flat: FlatBatch): FlatItem[] {
  const items: FlatItem[] = [];
  let i = 0;
  const count = (k: number): number => {
    const n = flat[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`malformed message batch at ${k}`);
    return n;
  };
  while (i < flat.length) {
    const at = i;
    const hiddenCount = count(at + MESSAGE_WIDTH);
    const hiddenAt = at + MESSAGE_WIDTH + 1;
    const pushCount = count(hiddenAt + hiddenCount);
    const pushAt = hiddenAt + hiddenCount + 1;
    const inboxCount = count(pushAt + pushCount * PUSH_WIDTH);
    const inboxAt = pushAt + pushCount * PUSH_WIDTH + 1;
    i = inboxAt + (inboxCount > 0 ? 1 + 2 * inboxCount : 0);
    if (i > flat.length) throw new Error(`malformed message batch at ${at}`);
    items.push({ at, hiddenAt, hiddenCount, pushAt, pushCount, inboxAt, inboxCount });
  }
  return items;
}
