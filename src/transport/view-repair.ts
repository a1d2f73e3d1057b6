import type { Logger } from 'pino';
import type { RegistryRefresh, SessionRegistry } from '../bus/registry.js';
import type { Session } from '../domain/session.js';
import { unixSeconds } from '../domain/users.js';
import type { ConversationOrder } from './conversation-order.js';
import { inSlices } from './slices.js';

/**
 * Registry entries applied, or view devices checked, per event-loop turn of a reconcile: about
 * 1-2 ms of work, so 100,000 devices take some fifty turns instead of one of half a second.
 */
const RECONCILE_SLICE = 2000;

/** The key of a device in `ViewRepair.unconfirmed`. */
const deviceKey = (orgId: string, userId: string, deviceId: string): string => `${orgId}\n${userId}\n${deviceId}`;

/** Where a device of the view is: its node and its names. */
export interface DevicePlace {
  readonly nodeId: string;
  readonly orgId: string;
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * The view of other nodes' devices that a ViewRepair repairs, as its owner (ClusterSessions)
 * keeps it. Changes go through the owner, which announces users online and offline for them as
 * it does for bus events, and tells the repair of them (`noteSeen`, `forget`).
 */
export interface RepairedView {
  /** The device in the view, if the view has it on `nodeId`. */
  remoteOn(nodeId: string, orgId: string, userId: string, deviceId: string): { readonly inactive: boolean; readonly seenAt: number } | undefined;
  /** Puts the device in the view on `nodeId` (moving it there if it was on another), seen at `seenAt` (ms). */
  addRemote(nodeId: string, orgId: string, userId: string, deviceId: string, inactive: boolean, seenAt: number): void;
  /**
   * Takes the device out of the view if the view has it on `nodeId`; `t` (unix seconds) is when
   * it ended. `reaped`: this node reaped the device's dead node, so it records the user's last
   * activity.
   */
  removeRemote(nodeId: string, orgId: string, userId: string, deviceId: string, stay: boolean, t: number, reaped: boolean): void;
  /** Every device of the view, read from the live maps as the caller draws them (see inSlices). */
  places(): Iterable<DevicePlace>;
  /** A reconcile went through: users whose last remote device ended with "stays online" are news again at their next bind. */
  clearStaying(): void;
}

/** What a ViewRepair works with besides the view. */
export interface ViewRepairDeps {
  /** This node: its own entries are not part of the view. */
  readonly nodeId: string;
  readonly registry: SessionRegistry;
  readonly view: RepairedView;
  /** This node's bound sessions, as a rewrite of its own registry entries writes them. */
  readonly ownSessions: () => readonly { session: Session; inactive: boolean }[];
  /** Where messages are kept in order here: told to read back what a dead node may not have announced, swept after a reconcile. */
  readonly order: Pick<ConversationOrder, 'recovered' | 'sweep'>;
  readonly opts: {
    /** How often the owner reconciles, ms. */
    readonly reconcileMs: number;
    /** A node whose heartbeat is older than this is dead, ms. */
    readonly nodeTtlMs: number;
  };
  readonly log: Logger;
  /** Whether the owner closed: no reconcile starts then, and one under way stops. */
  readonly closed: () => boolean;
}

/**
 * The registry side of ClusterSessions' view of other nodes: repairs the view from the
 * registry's changes at each `reconcile` (a lost event, a node whose heartbeat lapsed, a dead
 * node to reap), and writes this node's own registry entries again when they were lost or a
 * write of them failed. It keeps what that needs between reconciles; the view itself stays with
 * its owner and is changed only through `RepairedView`.
 */
export class ViewRepair {
  private readonly nodeId: string;
  private readonly registry: SessionRegistry;
  private readonly view: RepairedView;
  private readonly ownSessions: () => readonly { session: Session; inactive: boolean }[];
  private readonly order: Pick<ConversationOrder, 'recovered' | 'sweep'>;
  private readonly opts: ViewRepairDeps['opts'];
  private readonly log: Logger;
  private readonly closed: () => boolean;
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

  constructor(deps: ViewRepairDeps) {
    this.nodeId = deps.nodeId;
    this.registry = deps.registry;
    this.view = deps.view;
    this.ownSessions = deps.ownSessions;
    this.order = deps.order;
    this.opts = deps.opts;
    this.log = deps.log;
    this.closed = deps.closed;
  }

  /**
   * The view put the device on `nodeId` (an event, or the registry): it waits on `unconfirmed`
   * unless the registry held it there at the last reconcile.
   */
  noteSeen(nodeId: string, orgId: string, userId: string, deviceId: string): void {
    const device = deviceKey(orgId, userId, deviceId);
    if (this.registered(nodeId, orgId, userId, deviceId)) this.unconfirmed.delete(device);
    else this.unconfirmed.set(device, { nodeId, orgId, userId, deviceId });
  }

  /** The view no longer has the device: there is nothing of it to confirm. */
  forget(orgId: string, userId: string, deviceId: string): void {
    this.unconfirmed.delete(deviceKey(orgId, userId, deviceId));
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
  readonly registryFailed = (err: unknown): void => {
    if (!this.ownEntriesStale) this.log.warn({ err }, 'registry write failed; this node\'s entries are written again at the next reconcile');
    this.ownEntriesStale = true;
  };

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
  async reconcile(): Promise<void> {
    if (this.closed() || this.reconciling) return;
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
    const stop = (): boolean => this.closed();
    const reaped = await this.registry.reapDead();
    const reapedUsers = new Set<string>();
    for (const r of reaped) for (const s of r.sessions) reapedUsers.add(`${s.orgId}\n${s.userId}`);
    const { live, changed, removed, wholeNodes, unread, has } = await this.registry.refresh();
    if (this.closed()) return;
    this.registered = has;
    if (!(await inSlices(changed, RECONCILE_SLICE, (s) => this.view.addRemote(s.nodeId, s.orgId, s.userId, s.deviceId, s.inactive, started), stop))) return;
    // A sign-out the registry shows but the bus did not bring: the device waits out its grace.
    const wait = (s: DevicePlace): void => {
      if (this.view.remoteOn(s.nodeId, s.orgId, s.userId, s.deviceId)) this.unconfirmed.set(deviceKey(s.orgId, s.userId, s.deviceId), s);
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
      const d = this.view.remoteOn(nodeId, orgId, userId, deviceId);
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
        if (holder !== undefined) this.view.addRemote(holder, orgId, userId, deviceId, d.inactive, started);
        else this.view.removeRemote(nodeId, orgId, userId, deviceId, false, unixSeconds(Date.now()), reapedUsers.has(`${orgId}\n${userId}`));
      }
    };
    const places = died || wholeNodes.length > 0 ? this.view.places() : this.unconfirmed.values();
    if (!(await inSlices(places, RECONCILE_SLICE, check, stop))) return;
    this.view.clearStaying();
    this.order.sweep();
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
      await this.registry.republish(this.ownSessions());
    } catch (err) {
      this.ownEntriesStale = true;
      throw err;
    }
  }
}
