import type { Logger } from 'pino';
import type { Bus, BusEnvelope } from '../bus/bus.js';
import type { SessionRegistry } from '../bus/registry.js';
import type { FanOut, LiveDirectory, MessagePlace } from '../domain/delivery.js';
import type { DeliveryRecovery, MissedSpec } from '../domain/delivery-recovery.js';
import type { Session, SessionDirectory } from '../domain/session.js';
import { unixSeconds } from '../domain/users.js';
import { ConversationOrder, type ConversationOrderOptions, type FilledMessage } from './conversation-order.js';
import type { DeviceListener, LocalSessions } from './sessions.js';
import { type DevicePlace, ViewRepair } from './view-repair.js';

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
 *   from the registry's changes every `reconcileMs` by a ViewRepair (which also drops nodes
 *   whose heartbeat lapsed and repairs any event the at-most-once bus lost). State owned by the
 *   bus port: nothing here is durable.
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
  /** Repairs `remote` from the registry and rewrites this node's own entries (ViewRepair). */
  private readonly repair: ViewRepair;

  constructor(
    private readonly local: LocalSessions,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
    private readonly opts: ClusterSessionsOptions,
  ) {
    this.order = new ConversationOrder(opts.order, (orgId, cid, after, before) => this.readGap(orgId, cid, after, before), log);
    this.repair = new ViewRepair({
      nodeId: bus.nodeId,
      registry,
      view: {
        remoteOn: (nodeId, orgId, userId, deviceId) => this.remoteOn(nodeId, orgId, userId, deviceId),
        addRemote: (nodeId, orgId, userId, deviceId, inactive, seenAt) => this.addRemote(nodeId, orgId, userId, deviceId, inactive, seenAt),
        removeRemote: (nodeId, orgId, userId, deviceId, stay, t, reaped) => this.removeRemote(nodeId, orgId, userId, deviceId, stay, t, reaped),
        places: () => this.viewPlaces(),
        clearStaying: () => this.staying.clear(),
      },
      ownSessions: () => local.boundSessions(),
      order: this.order,
      opts: { reconcileMs: opts.reconcileMs, nodeTtlMs: opts.nodeTtlMs },
      log,
      closed: () => this.closed,
    });
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
    this.registry.register(s, inactive).catch(this.repair.registryFailed);
    this.publish({ t: 'bind', o: s.orgId, u: s.userId, d: s.deviceId, i: inactive });
  }

  unbound(s: Session, userStays: boolean): void {
    this.registry.unregister(s).catch(this.repair.registryFailed);
    this.publish({ t: 'unbind', o: s.orgId, u: s.userId, d: s.deviceId, stay: userStays, ra: unixSeconds(Date.now()) });
  }

  inactive(s: Session, value: boolean): void {
    this.registry.register(s, value).catch(this.repair.registryFailed);
    this.publish({ t: 'inactive', o: s.orgId, u: s.userId, d: s.deviceId, i: value });
  }

  userDropped(orgId: string, userId: string, keepDeviceId: string | undefined, code: number, reason: string): void {
    this.publish({ t: 'drop', o: orgId, u: userId, ...(keepDeviceId === undefined ? {} : { keep: keepDeviceId }), c: code, r: reason });
  }

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
    this.repair.noteSeen(nodeId, orgId, userId, deviceId);
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
    this.repair.forget(orgId, userId, deviceId);
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

  /** One reconcile of the view (ViewRepair.reconcile): run by the timer, and by the registry bench through a cast. */
  private reconcile(): Promise<void> {
    return this.repair.reconcile();
  }

  /** Every device of the view, read from the live maps as the caller draws them (see inSlices). */
  private *viewPlaces(): Generator<DevicePlace> {
    for (const [orgId, users] of this.remote) for (const [userId, devices] of users) for (const [deviceId, d] of devices) yield { nodeId: d.nodeId, orgId, userId, deviceId };
  }

  /**
   * Writes this node's sessions to the registry again, after it lost them (ViewRepair.republish).
   * Rejects if the write fails; the next reconcile tries again.
   */
  republish(): Promise<void> {
    return this.repair.republish();
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
