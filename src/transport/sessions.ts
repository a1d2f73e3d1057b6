import type { LiveDirectory } from '../domain/delivery.js';
import type { Session, SessionDirectory } from '../domain/session.js';

/** One client socket as the rest of the transport sees it. */
export interface Connection {
  readonly id: number;
  readonly address: string;
  session: Session | undefined;
  /** Queues a text frame; never throws (a dead socket drops it). */
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** Called when a user's first device comes online or last device goes offline on this node. */
export interface PresenceListener {
  online(session: Session): void;
  offline(session: Session): void;
}

/**
 * Told of every change to this node's bound devices, one device at a time (the cluster layer
 * mirrors them into the registry and onto the bus). Called synchronously, after the change.
 */
export interface DeviceListener {
  bound(session: Session): void;
  /**
   * `userStays`: the user remains signed in (the socket re-bound as the same user, or the device
   * moved to another node), so the device's end is no sign-out.
   */
  unbound(session: Session, userStays: boolean): void;
  inactive(session: Session, value: boolean): void;
  /** `dropUser` / `dropOtherDevices` ran here: sockets of the user elsewhere must close too. */
  userDropped(orgId: string, userId: string, keepDeviceId: string | undefined, code: number, reason: string): void;
}

/**
 * The sockets bound to sessions on this node, indexed by user and device. A second socket that
 * binds the same (user, device) replaces the first, which is closed (SAMA leaves it half-alive;
 * protocol.md §2.4 Parley note).
 */
export class LocalSessions implements SessionDirectory, LiveDirectory {
  /** organization → user → device → socket. Nested maps: lookups on the delivery path build no key strings. */
  private readonly byOrg = new Map<string, Map<string, Map<string, Connection>>>();
  private listeners: PresenceListener[] = [];
  private deviceListener: DeviceListener | undefined;
  private readonly inactive = new WeakSet<Connection>();
  /** When each bound socket was bound (ms): a cluster fills gaps only for sockets already there. */
  private readonly boundAt = new WeakMap<Connection, number>();

  /** Registers a presence listener (presence feature, metrics). */
  listen(l: PresenceListener): void {
    this.listeners.push(l);
  }

  /** Sets the one listener told of every device change (the cluster layer). */
  listenDevices(l: DeviceListener): void {
    this.deviceListener = l;
  }

  /**
   * Binds `conn` to `session`. A socket that was bound already is re-bound: when the user stays the
   * same (a second `connect` or `user_login`, same device or another), the user never counts as
   * gone, so watchers hear no "offline" and no second "online"; a re-bind to another user is that
   * user's sign-out (offline if it was their last device) followed by the new user's sign-in.
   */
  bind(conn: Connection, session: Session): void {
    const old = conn.session;
    const sameUser = old !== undefined && old.orgId === session.orgId && old.userId === session.userId;
    if (old) this.detach(conn, !sameUser, sameUser);
    let users = this.byOrg.get(session.orgId);
    if (!users) this.byOrg.set(session.orgId, (users = new Map<string, Map<string, Connection>>()));
    let devices = users.get(session.userId);
    const first = !devices || devices.size === 0;
    if (!devices) {
      devices = new Map();
      users.set(session.userId, devices);
    }
    const previous = devices.get(session.deviceId);
    if (previous && previous !== conn) {
      previous.session = undefined;
      this.inactive.delete(previous);
      previous.close(4000, 'replaced by a newer connection of the same device');
    }
    devices.set(session.deviceId, conn);
    conn.session = session;
    if (!sameUser || !this.boundAt.has(conn)) this.boundAt.set(conn, Date.now());
    this.deviceListener?.bound(session);
    if (first && !sameUser) for (const l of this.listeners) l.online(session);
  }

  /** Removes the socket's session (logout or close). No-op for an unbound socket. */
  unbind(conn: Connection): void {
    this.detach(conn, true);
  }

  /**
   * Takes `conn` out of the index; when it was its user's last device and `announce` is set, the
   * listeners hear that the user went offline.
   */
  private detach(conn: Connection, announce: boolean, userStays = false): void {
    const session = conn.session;
    if (!session) return;
    conn.session = undefined;
    const users = this.byOrg.get(session.orgId);
    const devices = users?.get(session.userId);
    if (!users || !devices || devices.get(session.deviceId) !== conn) return;
    devices.delete(session.deviceId);
    this.inactive.delete(conn);
    this.deviceListener?.unbound(session, userStays);
    if (devices.size === 0) {
      users.delete(session.userId);
      if (users.size === 0) this.byOrg.delete(session.orgId);
      if (announce) for (const l of this.listeners) l.offline(session);
    }
  }

  /** Ends every session of a user: other sockets are closed, `keep` (the requester) is unbound. */
  dropUser(orgId: string, userId: string, keep?: Connection): void {
    this.closeOthers(orgId, userId, keep, 4001, 'user deleted');
    if (keep?.session?.orgId === orgId && keep.session.userId === userId) this.unbind(keep);
    this.deviceListener?.userDropped(orgId, userId, undefined, 4001, 'user deleted');
  }

  /**
   * Closes every socket of a user, here and (through the cluster layer) on every other node,
   * with `code` and `reason` telling the clients why (admin API: sessions revoked, password
   * reset, account deleted). Returns how many sockets closed here.
   */
  closeUser(orgId: string, userId: string, code: number, reason: string): number {
    const here = this.devices(orgId, userId).size;
    this.closeOthers(orgId, userId, undefined, code, reason);
    this.deviceListener?.userDropped(orgId, userId, undefined, code, reason);
    return here;
  }

  /** Closes (4002) and unbinds the other sockets of `conn`'s user; `conn` stays bound. */
  dropOtherDevices(conn: Connection): void {
    const s = conn.session;
    if (!s) return;
    this.closeOthers(s.orgId, s.userId, conn, 4002, 'password changed');
    this.deviceListener?.userDropped(s.orgId, s.userId, s.deviceId, 4002, 'password changed');
  }

  /**
   * Closes the sockets of a user here on another node's word: all of them, or all but
   * `keepDeviceId`'s, or only `onlyDeviceId`'s. With `code` 4000 (the device connected on another
   * node) the user is still online, so nobody hears "offline"; otherwise it is a sign-out.
   */
  closeForCluster(orgId: string, userId: string, opts: { keepDeviceId?: string; onlyDeviceId?: string; code: number; reason: string }): void {
    for (const [deviceId, conn] of [...this.devices(orgId, userId)]) {
      if (deviceId === opts.keepDeviceId || (opts.onlyDeviceId !== undefined && deviceId !== opts.onlyDeviceId)) continue;
      this.detach(conn, opts.code !== 4000, opts.code === 4000);
      conn.close(opts.code, opts.reason);
    }
  }

  /** Every session bound here, with its background flag (to write the registry again). */
  boundSessions(): { session: Session; inactive: boolean }[] {
    const out: { session: Session; inactive: boolean }[] = [];
    for (const users of this.byOrg.values()) for (const devices of users.values()) for (const conn of devices.values()) if (conn.session) out.push({ session: conn.session, inactive: this.inactive.has(conn) });
    return out;
  }

  /** Unbinds and closes every socket of the user except `keep`. */
  private closeOthers(orgId: string, userId: string, keep: Connection | undefined, code: number, reason: string): void {
    for (const conn of [...this.devices(orgId, userId).values()]) {
      if (conn === keep) continue;
      this.unbind(conn);
      conn.close(code, reason);
    }
  }

  /** Marks a bound socket backgrounded or foregrounded (activity_status). */
  setInactive(conn: Connection, value: boolean): void {
    if (value) this.inactive.add(conn);
    else this.inactive.delete(conn);
    if (conn.session) this.deviceListener?.inactive(conn.session, value);
  }

  needsPush(orgId: string, userId: string): boolean {
    const devices = this.byOrg.get(orgId)?.get(userId);
    if (!devices) return true;
    for (const conn of devices.values()) if (this.inactive.has(conn)) return true;
    return false;
  }

  endDevice(orgId: string, userId: string, deviceId: string): void {
    const conn = this.byOrg.get(orgId)?.get(userId)?.get(deviceId);
    if (conn) this.unbind(conn);
  }

  /** Connected sockets of a user on this node (empty when offline here). */
  devices(orgId: string, userId: string): ReadonlyMap<string, Connection> {
    return this.byOrg.get(orgId)?.get(userId) ?? EMPTY;
  }

  sendToUser(orgId: string, userId: string, bytes: string, exceptDeviceId?: string): boolean {
    const devices = this.byOrg.get(orgId)?.get(userId);
    if (!devices) return false;
    for (const [deviceId, conn] of devices) if (deviceId !== exceptDeviceId) conn.send(bytes);
    return true;
  }

  /**
   * Sends to the user's sockets here that were bound at or before `t` (ms) — those that were
   * connected when a message read back from the store was made; true when any was.
   */
  sendToUserBoundBy(orgId: string, userId: string, bytes: string, t: number): boolean {
    const devices = this.byOrg.get(orgId)?.get(userId);
    let sent = false;
    for (const conn of devices?.values() ?? []) {
      if ((this.boundAt.get(conn) ?? Infinity) > t) continue;
      conn.send(bytes);
      sent = true;
    }
    return sent;
  }

  /** When the user's longest-connected socket here was bound (ms); undefined when none is. */
  boundSince(orgId: string, userId: string): number | undefined {
    let first: number | undefined;
    for (const conn of this.byOrg.get(orgId)?.get(userId)?.values() ?? []) {
      const t = this.boundAt.get(conn);
      if (t !== undefined && (first === undefined || t < first)) first = t;
    }
    return first;
  }

  isOnline(orgId: string, userId: string): boolean {
    return this.byOrg.get(orgId)?.has(userId) ?? false;
  }

  onlineUserIds(orgId: string): string[] {
    return [...(this.byOrg.get(orgId)?.keys() ?? [])];
  }

  /** Distinct users with a bound session on this node, over every organization. */
  onlineUserCount(): number {
    let n = 0;
    for (const users of this.byOrg.values()) n += users.size;
    return n;
  }

  /** Organizations with a user online on this node. */
  onlineOrgIds(): IterableIterator<string> {
    return this.byOrg.keys();
  }

  /** Number of bound sessions (devices) on this node. */
  get size(): number {
    let n = 0;
    for (const users of this.byOrg.values()) for (const d of users.values()) n += d.size;
    return n;
  }
}

const EMPTY: ReadonlyMap<string, Connection> = new Map();
