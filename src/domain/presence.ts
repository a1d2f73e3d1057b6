import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { LiveDirectory } from './delivery.js';
import type { Session, SessionDirectory } from './session.js';
import { unixSeconds } from './users.js';

const key = (orgId: string, userId: string): string => `${orgId}:${userId}`;

/**
 * Presence (protocol.md §3.8): who watches whom, and the `last_activity` events. A user is online
 * while any of its devices is connected; when the last one goes, its `recent_activity` becomes
 * now and watchers hear that time. Each user watches one target at a time (a new subscription
 * replaces the old); subscriptions live in this node's memory and end when the watcher goes
 * offline. Someone blocked by the target (or blocking it) hears nothing about it.
 */
export class Presence {
  /** Last-activity writes under way: shutdown waits for them before closing the store. */
  private readonly writes = new Set<Promise<void>>();
  private readonly watchersOf = new Map<string, Set<string>>();
  private readonly watching = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly live: LiveDirectory,
    private readonly sessions: SessionDirectory,
    private readonly log: Logger,
  ) {}

  subscribe(orgId: string, watcherId: string, targetId: string): void {
    this.unsubscribe(orgId, watcherId);
    this.watching.set(key(orgId, watcherId), targetId);
    const k = key(orgId, targetId);
    let set = this.watchersOf.get(k);
    if (!set) this.watchersOf.set(k, (set = new Set()));
    set.add(watcherId);
  }

  unsubscribe(orgId: string, watcherId: string): void {
    const target = this.watching.get(key(orgId, watcherId));
    if (target === undefined) return;
    this.watching.delete(key(orgId, watcherId));
    const set = this.watchersOf.get(key(orgId, target));
    set?.delete(watcherId);
    if (set?.size === 0) this.watchersOf.delete(key(orgId, target));
  }

  /** `0` for users online now, else their last activity (unix seconds); blocked pairs see the stored time only. */
  async activityOf(orgId: string, viewerId: string, ids: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const u of await this.store.users.byIds(orgId, ids)) {
      const hidden = u._id !== viewerId && (await this.store.blocks.blockedEitherWay(orgId, viewerId, u._id));
      out[u._id] = !hidden && this.sessions.isOnline(orgId, u._id) ? 0 : u.recent_activity;
    }
    return out;
  }

  /** First device of a user connected (LocalSessions listener). */
  online(session: Session): void {
    void this.notify(session.orgId, session.userId, 0);
  }

  /**
   * Last device of a user gone: record the time, tell watchers, end the user's own watch. The
   * notice waits for the store write; should the user have come back meanwhile (a quick reconnect),
   * their "online" has already gone out and a late "offline" would contradict it, so none is sent.
   */
  offline(session: Session): void {
    const t = unixSeconds(Date.now());
    this.unsubscribe(session.orgId, session.userId);
    this.track(
      this.store.users
        .setRecentActivity(session.orgId, session.userId, t)
        .catch((err: unknown) => this.log.warn({ err }, 'could not record last activity'))
        .finally(() => {
          if (!this.sessions.isOnline(session.orgId, session.userId)) void this.notify(session.orgId, session.userId, t);
        }),
    );
  }

  /**
   * Cluster mode: the user's last device everywhere is gone (at `t`): watchers here are told, and
   * the user's own watch here ends. Recording the time is `recordEnded`'s, done by the node where
   * the session ended.
   */
  offlineElsewhere(session: Session, t: number): void {
    this.unsubscribe(session.orgId, session.userId);
    if (!this.sessions.isOnline(session.orgId, session.userId)) void this.notify(session.orgId, session.userId, t);
  }

  /** Cluster mode: a session of the user ended here at `t`; it becomes their last activity. */
  recordEnded(session: Session, t: number): void {
    this.track(this.store.users.setRecentActivity(session.orgId, session.userId, t).catch((err: unknown) => this.log.warn({ err }, 'could not record last activity')));
  }

  /** Resolves once the last-activity writes under way have finished (before the store closes). */
  async idle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  private track(write: Promise<void>): void {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private async notify(orgId: string, userId: string, value: number): Promise<void> {
    const watchers = this.watchersOf.get(key(orgId, userId));
    if (!watchers || watchers.size === 0) return;
    const bytes = JSON.stringify({ last_activity: { [userId]: value } });
    try {
      for (const w of [...watchers]) {
        if (await this.store.blocks.blockedEitherWay(orgId, userId, w)) continue;
        this.live.sendToUser(orgId, w, bytes);
      }
    } catch (err) {
      this.log.warn({ err }, 'presence notification failed');
    }
  }
}
