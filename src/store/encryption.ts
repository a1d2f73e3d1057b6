/**
 * End-to-end encryption ports (protocol.md §3.11, §11.16), part of the store interface
 * (re-exported by store.ts, which callers import). The store holds public keys and ciphertext
 * only; it never sees a private key or a plaintext. Same conventions as every store port.
 */

import type { MessageRecord } from './store.js';

/** One device of a user, as the key store and the encrypted inbox name it. */
export interface DeviceRef {
  readonly user_id: string;
  readonly device_id: string;
}

/** A device's public key bundle (without its one-time pre-keys). */
export interface EncryptedDeviceRecord extends DeviceRef {
  readonly organization_id: string;
  readonly identity_key: string;
  readonly signed_key: string;
  readonly created_at: number;
  /** When the bundle was last registered; it lives until `expires_at`. */
  readonly updated_at: number;
  readonly expires_at: number;
}

/** One one-time pre-key as the device sent it: a name (object form) or none (array form), and the key. */
export interface OneTimePreKey {
  readonly key_id: string | null;
  readonly pre_key: string;
}

/** What `request_keys` hands out per device: its bundle and at most one one-time pre-key, now consumed. */
export interface ClaimedBundle extends DeviceRef {
  readonly identity_key: string;
  readonly signed_key: string;
  /** Undefined when the device has no one-time pre-key left. */
  readonly one_time_pre_key: string | undefined;
}

/**
 * Key bundles per (user, device) and their one-time pre-keys. A bundle is live until its
 * `expires_at`; expired bundles are never listed, handed out or queued for, and `sweep` removes
 * them. Each one-time pre-key is handed out at most once, also to concurrent claims from several
 * nodes (the claim deletes the key in the statement that picks it).
 */
export interface EncryptedDeviceStore {
  /**
   * Stores the device's bundle (replacing the one it had, `created_at` kept) and replaces its
   * one-time pre-keys with `preKeys`, in their order. When the identity key changed, the device's
   * queued encrypted messages are dropped (they were encrypted for the old identity). Beyond
   * `maxDevices` live bundles of the user, the ones registered longest ago are removed.
   */
  register(device: EncryptedDeviceRecord, preKeys: readonly OneTimePreKey[], maxDevices: number): Promise<void>;
  /** The user's live bundles, oldest registration first. */
  forUser(orgId: string, userId: string, now: number): Promise<EncryptedDeviceRecord[]>;
  /** Live devices of these users (for queueing encrypted messages). */
  devicesOf(orgId: string, userIds: readonly string[], now: number): Promise<DeviceRef[]>;
  /**
   * The live bundles of these users in the organization (others' ids match nothing), each with
   * its first one-time pre-key, which is removed in the same transaction. Two concurrent claims
   * never get the same key. Per user in `userIds` order, devices oldest registration first.
   */
  claim(orgId: string, userIds: readonly string[], now: number): Promise<ClaimedBundle[]>;
  /** Removes a bundle with its pre-keys and queued messages; false if the user has no such device. */
  delete(orgId: string, userId: string, deviceId: string): Promise<boolean>;
  /** Removes every bundle of a user (account deletion). */
  deleteUser(orgId: string, userId: string): Promise<void>;
  /** Removes expired bundles with their pre-keys and queued messages; returns how many bundles. */
  sweep(now: number): Promise<number>;
  /** How many one-time pre-keys a device has left (for tests and operators). */
  preKeyCount(userId: string, deviceId: string): Promise<number>;
}

/**
 * The encrypted messages a new message is queued for: one inbox row per device, written in the
 * message's own transaction (MessageStore.insert), so an acknowledged message is always queued.
 */
export interface InboxEntry {
  readonly devices: readonly DeviceRef[];
  /** When the rows lapse if the devices never list them (ENCRYPTION_MESSAGE_EXPIRED_IN). */
  readonly expiresAt: number;
}

/**
 * Per-device inboxes of encrypted conversations (protocol.md §3.11: a device lists the messages
 * not yet delivered to it). A row per (device, message) is written with the message; a listing
 * reads the device's rows (`queued`) and, once its reply is ready, removes them (`ack`). `ack`
 * reports which rows this call removed, so each queued message is handed to a device once, also
 * when the device lists from two sockets or two nodes at the same time.
 */
export interface EncryptedInboxStore {
  /**
   * Up to `limit` messages queued for the device in conversation `cid` (only `ids` among them
   * when given), oldest first; rows whose message is gone or lapsed are skipped. Removes nothing.
   */
  queued(orgId: string, device: DeviceRef, cid: string, query: { limit: number; ids?: readonly string[] }, now: number): Promise<MessageRecord[]>;
  /** Removes the device's rows for `mids` in `cid` and returns the ids this call removed. */
  ack(device: DeviceRef, cid: string, mids: readonly string[]): Promise<string[]>;
  /** How many rows a device has queued in a conversation. */
  pending(device: DeviceRef, cid: string, now: number): Promise<number>;
  /**
   * Removes lapsed inbox rows and messages with `encrypted_message_type` created at or before
   * `messagesCreatedBefore` (with their statuses, reactions and rows); returns how many messages.
   */
  sweep(now: number, messagesCreatedBefore: number): Promise<number>;
}
