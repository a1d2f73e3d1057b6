import type { Logger } from 'pino';
import type { Bus, BusEnvelope } from '../bus/bus.js';
import type { RegistryRefresh, SessionRegistry } from '../bus/registry.js';
import type { FanOut, LiveDirectory, MessagePlace } from '../domain/delivery.js';
import type { DeliveryRecovery, MissedSpec } from '../domain/delivery-recovery.js';
import type { Session, SessionDirectory } from '../domain/session.js';
import { unixSeconds } from '../domain/users.js';
import { ConversationOrder, type ConversationOrderOptions, type FilledMessage } from './conversation-order.js';
import type { DeviceListener, LocalSessions } from './sessions.js';
import { inSlices } from './slices.js';

/** Told when a user comes online anywhere in the cluster, or leaves the last node. */
export interface ClusterPresenceListener {
  /** The user's first device anywhere connected. */
  online(session: Session): void;
  /** The user's last device everywhere is gone; `t` is when (unix seconds). Tell watchers here. */
  offline(session: Session, t: number): void;
  /**
   * A session of the user ended at `t` on this node (or on a dead node this node reaped): record
   * it as the user's last activity. Called whether or not the user is still online elsewhere.
   */
  ended(session: Session, t: number): void;
}

export interface ClusterSessionsOptions {
  /** How often the view of other nodes is rebuilt from the registry and dead nodes reaped, ms. */
  readonly reconcileMs: number;
  /** How messages are kept in order across nodes (ConversationOrder). */
  readonly order: ConversationOrderOptions;
  /** A node whose heartbeat is older than this is dead (CLUSTER_NODE_TTL_MS). */
  readonly nodeTtlMs: number;
}

/** The topic every node hears: session changes and forced disconnects. */
export const SESSIONS_TOPIC = 'sessions';
/** A node's own topic: deliveries for sockets bound there. */
export const nodeTopic = (nodeId: string): string => `node:${nodeId}`;

/** What a node says on the sessions topic. Short keys: these go out on every sign-in and out. */
type SessionEvent =
  | { t: 'bind'; o: string; u: string; d: string; i: boolean }
  | { t: 'unbind'; o: string; u: string; d: string; stay: boolean; ra: number }
  | { t: 'inactive'; o: string; u: string; d: string; i: boolean }
  | { t: 'drop'; o: string; u: string; keep?: string; only?: string; c: number; r: string }
  | { t: 'end'; o: string; u: string; d: string }
  | { t: 'leave' }
  /** The sender's bus connection was down since `s` (ms): payloads it published may be lost. */
  | { t: 'gap'; s: number };

/** A recipient on a node: organization, user, and the device that gets no copy (or null). */
type Target = readonly [string, string, string | null];

/**
 * Deliveries for one node: each item is one encoded packet, the users it goes to there, where it
 * sits in its conversation (messages) and what to do for a recipient found gone.
 */
interface DeliverEvent {
  readonly items: { readonly b: string; readonly to: readonly Target[]; readonly q?: MessagePlace; readonly f?: MissedSpec }[];
}

/** One packet queued for a node this event-loop turn. */
interface QueuedItem {
  readonly to: Target[];
  readonly place?: MessagePlace;
  readonly missed?: MissedSpec;
}

/**
 * Registry entries applied, or view devices checked, per event-loop turn of a reconcile: about
 * 1-2 ms of work, so 100,000 devices take some fifty turns instead of one of half a second.
 */
const RECONCILE_SLICE = 2000;

/** The key of a device in `ClusterSessions.unconfirmed`. */
const deviceKey = (orgId: string, userId: string, deviceId: string): string => `${orgId}\n${userId}\n${deviceId}`;

/** Where a device of the view is: its node and its names. */
interface DevicePlace {
  readonly nodeId: string;
  readonly orgId: string;
  readonly userId: string;
  readonly deviceId: string;
}

interface RemoteDevice {
  readonly nodeId: string;
  inactive: boolean;
  /** When an event or a registry change last said the device is there, ms. */
  seenAt: number;
}

/**
 * This node's sockets plus the cluster: the session directory and live directory handlers and
 * deliveries use when several nodes share one PostgreSQL and Redis (design.md, "Cluster").
 *
 * - Local sockets stay in LocalSessions. Every change to them goes to the registry (Redis, the
 *   truth other nodes rebuild from) and onto the bus's sessions topic (so they hear at once).
 * - Other nodes' devices are kept here as a view: updated from the sessions topic, repaired
 *   from the registry's changes every `reconcileMs` (which also drops nodes whose heartbeat
 *   lapsed and repairs any event the at-most-once bus lost). State owned by the bus port:
 *   nothing here is durable.
 * - A packet for a user reaches the sockets here directly and the user's sockets elsewhere
 *   through one bus payload per node per event-loop turn.
 * - Online status, `online_list` and the push decision are cluster-wide; a user's first device
 *   anywhere and last device everywhere are reported to ClusterPresenceListeners.
 */
export class ClusterSessions implements SessionDirectory, LiveDirectory, DeviceListener {
  /** org → user → device → where it is connected (other nodes only). */
  private readonly remote = new Map<string, Map<string, Map<string, RemoteDevice>>>();
  /** Users whose last remote device ended with "stays online": their next bind is no news. */
  private readonly staying = new Set<string>();
  private readonly listeners: ClusterPresenceListener[] = [];
  /** node → packet bytes → recipients, sent at the end of this event-loop turn. */
  private outbox = new Map<string, Map<string, QueuedItem>>();
  /** Hands messages to this node's sockets in conversation order. */
  private readonly order: ConversationOrder;
  /** Set once the store side is wired (attachRecovery); until then nothing is recovered. */
  private recovery: DeliveryRecovery | undefined;
  private flushQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribes: (() => Promise<void>)[] = [];
  private closed = false;
  /** Other nodes alive at the last reconcile. */
  private aliveBefore = new Set<string>();
  /**
   * Devices in the view that the registry did not hold at the last look (`org\nuser\ndevice` →
   * node): added by an event whose registry write had not shown yet, or kept after a sign-out
   * whose event was lost. A reconcile checks only these, and every device only when a node died
   * or was read whole, so that its cost follows the changes, not the cluster's size.
   */
  private readonly unconfirmed = new Map<string, DevicePlace>();
  /** Whether the registry held a device at the last reconcile (nothing before the first). */
  private registered: RegistryRefresh['has'] = () => false;
  /** Set while a reconcile runs; see `reconcile`. */
  private reconciling = false;
  /** A write of this node's own registry entries failed since they were last written whole. */
  private ownEntriesStale = false;

  constructor(
    private readonly local: LocalSessions,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
    private readonly opts: ClusterSessionsOptions,
  ) {
    this.order = new ConversationOrder(opts.order, (orgId, cid, after, before) => this.readGap(orgId, cid, after, before), log);
  }

  /** Wires the store side: recipients found gone and messages the bus lost are recovered from here on. */
  attachRecovery(recovery: DeliveryRecovery): void {
    this.recovery = recovery;
  }

  /** Messages read back from the store because the bus lost or delayed them. */
  get filledFromStore(): number {
    return this.order.filled;
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** Subscribes to the bus, loads the view of other nodes and starts reconciling. */
  async start(): Promise<void> {
    this.local.listenDevices(this);
    this.local.listen({
      online: (s) => {
        if (!this.hasRemote(s.orgId, s.userId)) this.emitOnline(s);
      },
      offline: (s) => {
        const t = unixSeconds(Date.now());
        for (const l of this.listeners) l.ended(s, t);
        if (!this.hasRemote(s.orgId, s.userId)) this.emitOffline(s, t);
      },
    });
    this.unsubscribes.push(await this.bus.subscribe(SESSIONS_TOPIC, (e) => this.onSessionEvent(e)));
    this.unsubscribes.push(await this.bus.subscribe(nodeTopic(this.nodeId), (e) => this.onDeliver(e)));
    this.bus.onRecovered((since) => {
      // Whatever was published to or by this node meanwhile may be lost: read it back here, and
      // tell the others, who may have missed what this node published.
      this.order.recovered(since);
      this.publish({ t: 'gap', s: since });
    });
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.opts.reconcileMs);
    this.timer.unref();
  }

  /** Registers a listener for cluster-wide presence changes. */
  listen(l: ClusterPresenceListener): void {
    this.listeners.push(l);
  }

  // ── SessionDirectory ───────────────────────────────────────────────────────────────────────

  isOnline(orgId: string, userId: string): boolean {
    return this.local.isOnline(orgId, userId) || this.hasRemote(orgId, userId);
  }

  onlineUserIds(orgId: string): string[] {
    const ids = new Set(this.local.onlineUserIds(orgId));
    for (const u of this.remote.get(orgId)?.keys() ?? []) ids.add(u);
    return [...ids];
  }

  /** Distinct users with a bound session on any node, over every organization (this node's view). */
  onlineUserCount(): number {
    let n = 0;
    const orgs = new Set([...this.local.onlineOrgIds(), ...this.remote.keys()]);
    for (const orgId of orgs) {
      const remote = this.remote.get(orgId);
      n += remote?.size ?? 0;
      for (const userId of this.local.onlineUserIds(orgId)) if (!remote?.has(userId)) n += 1;
    }
    return n;
  }

  needsPush(orgId: string, userId: string): boolean {
    const remote = this.remote.get(orgId)?.get(userId);
    const here = this.local.devices(orgId, userId).size > 0;
    if (!remote || remote.size === 0) return this.local.needsPush(orgId, userId);
    for (const d of remote.values()) if (d.inactive) return true;
    return here ? this.local.needsPush(orgId, userId) : false;
  }

  endDevice(orgId: string, userId: string, deviceId: string): void {
    if (this.local.devices(orgId, userId).has(deviceId)) this.local.endDevice(orgId, userId, deviceId);
    else this.publish({ t: 'end', o: orgId, u: userId, d: deviceId });
  }

  // ── LiveDirectory ──────────────────────────────────────────────────────────────────────────

  sendToUser(orgId: string, userId: string, bytes: string, exceptDeviceId?: string): boolean {
    const here = this.local.sendToUser(orgId, userId, bytes, exceptDeviceId);
    const remote = this.remote.get(orgId)?.get(userId);
    if (!remote || remote.size === 0) return here;
    const nodes = new Set<string>();
    for (const [deviceId, d] of remote) if (deviceId !== exceptDeviceId) nodes.add(d.nodeId);
    for (const nodeId of nodes) this.queue(nodeId, bytes, [orgId, userId, exceptDeviceId ?? null]);
    return true;
  }

  fanOut(f: FanOut): string[] {
    const offline: string[] = [];
    const here: Target[] = [];
    for (const userId of f.to) {
      const except = f.exceptDevice?.userId === userId ? f.exceptDevice.deviceId : null;
      const local = this.local.devices(f.orgId, userId).size > 0;
      const remote = this.remote.get(f.orgId)?.get(userId);
      if (!local && (remote?.size ?? 0) === 0) {
        offline.push(userId);
        continue;
      }
      if (local) here.push([f.orgId, userId, except]);
      const nodes = new Set<string>();
      for (const [deviceId, d] of remote ?? []) if (deviceId !== except) nodes.add(d.nodeId);
      for (const nodeId of nodes) this.queue(nodeId, f.bytes, [f.orgId, userId, except], f.place, f.missed);
    }
    if (here.length > 0) this.handHere(here, f.bytes, f.place, f.missed);
    return offline;
  }

  /** Sends to this node's sockets, in conversation order for messages. */
  private handHere(targets: readonly Target[], bytes: string, place: MessagePlace | undefined, missed: MissedSpec | undefined): void {
    const release = (): void => this.sendHere(targets, bytes, missed);
    if (!place) return release();
    // Looked up only when the message's predecessor has not been handed over here.
    const boundSince = (): number | undefined => {
      let since: number | undefined;
      for (const [orgId, userId] of targets) {
        const t = this.local.boundSince(orgId, userId);
        if (t !== undefined && (since === undefined || t < since)) since = t;
      }
      return since;
    };
    this.order.offer(place, release, boundSince);
  }

  /** Sends to sockets here; a recipient with no device anywhere any more is recovered (op-log, push). */
  private sendHere(targets: readonly Target[], bytes: string, missed: MissedSpec | undefined): void {
    let gone: Map<string, string[]> | undefined;
    for (const [orgId, userId, except] of targets) {
      if (this.local.sendToUser(orgId, userId, bytes, except ?? undefined) || this.hasRemote(orgId, userId)) continue;
      gone ??= new Map();
      const users = gone.get(orgId) ?? [];
      users.push(userId);
      gone.set(orgId, users);
    }
    if (!gone || !missed || !this.recovery) return;
    const now = Date.now();
    for (const [orgId, users] of gone) void this.recovery.missed(orgId, users, bytes, missed, now);
  }

  /** Messages of a conversation read back from the store, each sent to its recipients' sockets here. */
  private async readGap(orgId: string, cid: string, after: string | null, before: string | null): Promise<FilledMessage[]> {
    if (!this.recovery) return [];
    const found = await this.recovery.gap(orgId, cid, after, before);
    // Sockets that connected after a message was made read it themselves (message_list).
    return found.map((m) => ({ id: m.id, release: () => m.to.forEach((u) => this.local.sendToUserBoundBy(orgId, u, m.bytes, m.createdAt)) }));
  }

  private queue(nodeId: string, bytes: string, target: Target, place?: MessagePlace, missed?: MissedSpec): void {
    let byBytes = this.outbox.get(nodeId);
    if (!byBytes) this.outbox.set(nodeId, (byBytes = new Map<string, QueuedItem>()));
    let item = byBytes.get(bytes);
    if (!item) byBytes.set(bytes, (item = { to: [], ...(place ? { place } : {}), ...(missed ? { missed } : {}) }));
    item.to.push(target);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** One bus payload per node for everything queued this turn, in the order it was queued. */
  private flush(): void {
    this.flushQueued = false;
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [nodeId, byBytes] of outbox) {
      const event: DeliverEvent = { items: [...byBytes].map(([b, i]) => ({ b, to: i.to, ...(i.place ? { q: i.place } : {}), ...(i.missed ? { f: i.missed } : {}) })) };
      void this.bus.publish(nodeTopic(nodeId), JSON.stringify(event));
    }
  }

  /** A bus payload read back as what this class published; undefined (logged) if it does not parse. */
  private decode<T>(e: BusEnvelope, what: string): T | undefined {
    try {
      return JSON.parse(e.payload) as T;
    } catch (err) {
      this.log.warn({ err, from: e.from }, `undecodable cluster ${what}`);
      return undefined;
    }
  }

  private onDeliver(e: BusEnvelope): void {
    const event = this.decode<DeliverEvent>(e, 'delivery');
    if (!event) return;
    for (const item of event.items) this.handHere(item.to, item.b, item.q, item.f);
  }

  // ── DeviceListener: this node's changes go to the registry and the bus ──────────────────────

  bound(s: Session): void {
    const inactive = false;
    this.registry.register(s, inactive).catch(this.registryFailed);
    this.publish({ t: 'bind', o: s.orgId, u: s.userId, d: s.deviceId, i: inactive });
  }

  unbound(s: Session, userStays: boolean): void {
    this.registry.unregister(s).catch(this.registryFailed);
    this.publish({ t: 'unbind', o: s.orgId, u: s.userId, d: s.deviceId, stay: userStays, ra: unixSeconds(Date.now()) });
  }

  inactive(s: Session, value: boolean): void {
    this.registry.register(s, value).catch(this.registryFailed);
    this.publish({ t: 'inactive', o: s.orgId, u: s.userId, d: s.deviceId, i: value });
  }

  userDropped(orgId: string, userId: string, keepDeviceId: string | undefined, code: number, reason: string): void {
    this.publish({ t: 'drop', o: orgId, u: userId, ...(keepDeviceId === undefined ? {} : { keep: keepDeviceId }), c: code, r: reason });
  }

  /**
   * A registry write of this node's own entry failed (Redis unreachable: the registry's client
   * queues nothing). Nothing else would repair it: Redis only tells a node it was lost when its
   * node record went (a restart, or a lapsed heartbeat), not when single writes failed in a
   * shorter outage. Left alone, a failed sign-out would keep the device online to every other
   * node, which then sends no pushes for it, and a failed sign-in would end with the device
   * dropped from their views. So the next reconcile writes all of this node's entries again
   * (`republish`).
   */
  private readonly registryFailed = (err: unknown): void => {
    if (!this.ownEntriesStale) this.log.warn({ err }, 'registry write failed; this node\'s entries are written again at the next reconcile');
    this.ownEntriesStale = true;
  };

  private publish(event: SessionEvent): void {
    void this.bus.publish(SESSIONS_TOPIC, JSON.stringify(event));
  }

  // ── Other nodes' changes ────────────────────────────────────────────────────────────────────

  private onSessionEvent(e: BusEnvelope): void {
    if (e.from === this.nodeId) return;
    const ev = this.decode<SessionEvent>(e, 'session event');
    if (!ev) return;
    switch (ev.t) {
      case 'bind':
        this.addRemote(e.from, ev.o, ev.u, ev.d, ev.i);
        // The same device signing in on another node takes over: the socket here closes, and
        // the user is still online (protocol.md §2.4 Parley note, across nodes).
        if (this.local.devices(ev.o, ev.u).has(ev.d)) this.local.closeForCluster(ev.o, ev.u, { onlyDeviceId: ev.d, code: 4000, reason: 'replaced by a newer connection of the same device' });
        break;
      case 'unbind':
        this.removeRemote(e.from, ev.o, ev.u, ev.d, ev.stay, ev.ra, false);
        break;
      case 'inactive': {
        const d = this.remoteOn(e.from, ev.o, ev.u, ev.d);
        if (d) {
          d.inactive = ev.i;
          d.seenAt = Date.now();
        }
        break;
      }
      case 'drop':
        this.local.closeForCluster(ev.o, ev.u, { keepDeviceId: ev.keep, onlyDeviceId: ev.only, code: ev.c, reason: ev.r });
        break;
      case 'end':
        this.local.endDevice(ev.o, ev.u, ev.d);
        break;
      case 'leave':
        this.dropNode(e.from);
        break;
      case 'gap':
        this.order.recovered(ev.s);
        break;
    }
  }

  private hasRemote(orgId: string, userId: string): boolean {
    return (this.remote.get(orgId)?.get(userId)?.size ?? 0) > 0;
  }

  /** The device in the view, if the view has it on `nodeId`. */
  private remoteOn(nodeId: string, orgId: string, userId: string, deviceId: string): RemoteDevice | undefined {
    const d = this.remote.get(orgId)?.get(userId)?.get(deviceId);
    return d?.nodeId === nodeId ? d : undefined;
  }

  private addRemote(nodeId: string, orgId: string, userId: string, deviceId: string, inactive: boolean, seenAt = Date.now()): void {
    let users = this.remote.get(orgId);
    if (!users) this.remote.set(orgId, (users = new Map<string, Map<string, RemoteDevice>>()));
    let devices = users.get(userId);
    if (!devices) users.set(userId, (devices = new Map<string, RemoteDevice>()));
    const wasOnline = devices.size > 0 || this.local.isOnline(orgId, userId);
    devices.set(deviceId, { nodeId, inactive, seenAt });
    const device = deviceKey(orgId, userId, deviceId);
    if (this.registered(nodeId, orgId, userId, deviceId)) this.unconfirmed.delete(device);
    else this.unconfirmed.set(device, { nodeId, orgId, userId, deviceId });
    const key = `${orgId}\n${userId}`;
    if (this.staying.delete(key)) return;
    if (!wasOnline) this.emitOnline({ orgId, userId, deviceId });
  }

  /** `reaped`: this node reaped the device's dead node, so it records the user's last activity. */
  private removeRemote(nodeId: string, orgId: string, userId: string, deviceId: string, stay: boolean, t: number, reaped: boolean): void {
    const users = this.remote.get(orgId);
    const devices = users?.get(userId);
    if (!users || devices?.get(deviceId)?.nodeId !== nodeId) return;
    devices.delete(deviceId);
    this.unconfirmed.delete(deviceKey(orgId, userId, deviceId));
    if (devices.size > 0) return;
    users.delete(userId);
    if (users.size === 0) this.remote.delete(orgId);
    if (this.local.isOnline(orgId, userId)) return;
    if (stay) this.staying.add(`${orgId}\n${userId}`);
    else {
      if (reaped) for (const l of this.listeners) l.ended({ orgId, userId, deviceId }, t);
      this.emitOffline({ orgId, userId, deviceId }, t);
    }
  }

  /** Forgets a node that left or died, announcing its users offline where that is news. */
  private dropNode(nodeId: string): void {
    for (const [orgId, users] of [...this.remote]) {
      for (const [userId, devices] of [...users]) {
        for (const [deviceId, d] of [...devices]) {
          if (d.nodeId !== nodeId) continue;
          this.removeRemote(nodeId, orgId, userId, deviceId, false, unixSeconds(Date.now()), false);
        }
      }
    }
  }

  /**
   * Repairs the view of other nodes from the registry, reading only what changed there since the
   * last reconcile. Devices the registry added or changed are confirmed (added, and announced
   * online, if an event was lost). A device is dropped — its user announced offline where that is
   * news — when its node's heartbeat lapsed, or when the registry does not hold it and no event
   * has confirmed it for two periods (so a registry write still on its way does not count as a
   * sign-out); if the registry holds it on another live node instead, it moves there. Dead nodes'
   * entries are reaped here too; the node that reaps a user records their `recent_activity`.
   *
   * One reconcile at a time: the timer does not wait, and a reconcile that is still running
   * (a whole read of a large node takes many round trips) makes the next tick a no-op.
   */
  private async reconcile(): Promise<void> {
    if (this.closed || this.reconciling) return;
    this.reconciling = true;
    try {
      if (this.ownEntriesStale) await this.republish();
      await this.repairView();
    } catch (err) {
      this.log.warn({ err }, 'cluster view could not be rebuilt from the registry; retrying');
    } finally {
      this.reconciling = false;
    }
  }

  /**
   * The work of `reconcile`, in slices of RECONCILE_SLICE registry entries or view devices, with
   * a turn of the event loop between slices (a first reconcile at 100,000 devices was one 0.5 s
   * turn). Bus events are handled between slices, so nothing read before a turn is trusted after
   * it: each device is looked up again when it is checked, and a close stops the pass.
   *
   * Why interleaving loses no sign-out and announces no one offline wrongly. The registry's copy
   * was already older than some bus events handled before it (the bus and the registry are read
   * on different connections); slices widen that window, they add no new kind of case:
   * - A sign-out heard on the bus while an older `changed` entry of the device is pending: the
   *   entry adds the device back (a brief "online"). The registry held it when read, so its
   *   removal lands after that read and the next refresh reports it in `removed`, which puts the
   *   device on `unconfirmed`; unless a bus event confirms it meanwhile, it is dropped two periods
   *   later. The same repair as for a lost sign-out; nothing is lost for good.
   * - A sign-in heard on the bus while a pending `removed` entry or the view check runs: the
   *   check reads the device's `seenAt` at that moment, newer than `stale`, so the device waits
   *   on `unconfirmed` for its registry entry instead of being dropped.
   * - A device moving between nodes, whose older node's entry is applied after the bus told of
   *   the move (copies of different nodes are now read at different moments): once the older
   *   node's removal shows, the check finds the registry holding the device on its new node and
   *   moves it there instead of dropping it.
   * - A device dropped by the check is one the registry did not hold on a read that began after
   *   `started`, and that no event has shown for two periods before `started`: the rule of the
   *   unsliced reconcile, applied to the device as it is when checked.
   * - Nodes the registry could not read this time (`unread`) have their devices left as they are.
   */
  private async repairView(): Promise<void> {
    const started = Date.now();
    const stop = (): boolean => this.closed;
    const reaped = await this.registry.reapDead();
    const reapedUsers = new Set<string>();
    for (const r of reaped) for (const s of r.sessions) reapedUsers.add(`${s.orgId}\n${s.userId}`);
    const { live, changed, removed, wholeNodes, unread, has } = await this.registry.refresh();
    if (this.closed) return;
    this.registered = has;
    if (!(await inSlices(changed, RECONCILE_SLICE, (s) => this.addRemote(s.nodeId, s.orgId, s.userId, s.deviceId, s.inactive, started), stop))) return;
    // A sign-out the registry shows but the bus did not bring: the device waits out its grace.
    const wait = (s: DevicePlace): void => {
      if (this.remoteOn(s.nodeId, s.orgId, s.userId, s.deviceId)) this.unconfirmed.set(deviceKey(s.orgId, s.userId, s.deviceId), s);
    };
    if (!(await inSlices(removed, RECONCILE_SLICE, wait, stop))) return;
    const alive = new Set(live);
    const notRead = new Set(unread);
    // A node that died may have committed messages it never announced (killed between its
    // commit and its publish): read back every conversation known here.
    const died = [...this.aliveBefore].some((n) => !alive.has(n));
    this.aliveBefore = new Set(live.filter((n) => n !== this.nodeId));
    if (died) this.order.recovered(started - this.opts.nodeTtlMs - 2 * this.opts.reconcileMs);
    // Two periods: the previous snapshot may have been taken a little more than one period ago.
    const stale = started - 2 * this.opts.reconcileMs;
    const check = (place: DevicePlace): void => {
      const { nodeId, orgId, userId, deviceId } = place;
      const key = deviceKey(orgId, userId, deviceId);
      const d = this.remoteOn(nodeId, orgId, userId, deviceId);
      if (!d) {
        // Gone, or moved to another node by an event (which set its own entry here).
        if (this.unconfirmed.get(key) === place) this.unconfirmed.delete(key);
        return;
      }
      if (notRead.has(nodeId)) return;
      if (alive.has(nodeId) && has(nodeId, orgId, userId, deviceId)) this.unconfirmed.delete(key);
      else if (alive.has(nodeId) && d.seenAt >= stale) this.unconfirmed.set(key, place);
      else {
        // The flag moves with it as last known; the registry's next change of it corrects it.
        const holder = live.find((n) => n !== nodeId && has(n, orgId, userId, deviceId));
        if (holder !== undefined) this.addRemote(holder, orgId, userId, deviceId, d.inactive, started);
        else this.removeRemote(nodeId, orgId, userId, deviceId, false, unixSeconds(Date.now()), reapedUsers.has(`${orgId}\n${userId}`));
      }
    };
    const places = died || wholeNodes.length > 0 ? this.viewPlaces() : this.unconfirmed.values();
    if (!(await inSlices(places, RECONCILE_SLICE, check, stop))) return;
    this.staying.clear();
    this.order.sweep();
  }

  /** Every device of the view, read from the live maps as the caller draws them (see inSlices). */
  private *viewPlaces(): Generator<DevicePlace> {
    for (const [orgId, users] of this.remote) for (const [userId, devices] of users) for (const [deviceId, d] of devices) yield { nodeId: d.nodeId, orgId, userId, deviceId };
  }

  /**
   * Writes this node's sessions to the registry again (it lost them: a Redis restart, or a write
   * failed). The sessions are read and the rewrite is called in the same turn; the registry
   * writes a change called after the rewrite on top of it (see RedisRegistry.rewrite). If it
   * fails, the next reconcile tries again.
   */
  async republish(): Promise<void> {
    this.ownEntriesStale = false;
    try {
      await this.registry.republish(this.local.boundSessions());
    } catch (err) {
      this.ownEntriesStale = true;
      throw err;
    }
  }

  private emitOnline(s: Session): void {
    for (const l of this.listeners) l.online(s);
  }

  private emitOffline(s: Session, t: number): void {
    for (const l of this.listeners) l.offline(s, t);
  }

  /** Leaves the cluster at once: other nodes forget this node's sessions without waiting. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.order.close();
    this.flush();
    await this.bus.publish(SESSIONS_TOPIC, JSON.stringify({ t: 'leave' } satisfies SessionEvent));
    for (const u of this.unsubscribes.splice(0)) await u().catch(() => undefined);
  }
}
