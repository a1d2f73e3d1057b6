/** Messages between the bench coordinator and its generator processes (over IPC). */

/** Which protocol a generator speaks to the server under test, and what it needs to know to do so. */
export type SetupTarget =
  /** Parley or the bare baseline: users are created in this organization. */
  | { protocol: 'sama'; orgId: string }
  /** An XMPP server over WebSocket: users register on `domain`, each group is a room on `mucDomain`. */
  | { protocol: 'xmpp'; domain: string; mucDomain: string };

export type ToWorker =
  /**
   * `handler`: a conversation handler script each group's owner installs (SAMA only).
   * `nodeUrls` (SAMA only; several nodes of one cluster): member k of group g signs in on
   * `nodeUrls[(g + k) % nodeUrls.length]`, so a group's members sit on different nodes; users are
   * created through `url`.
   */
  | { t: 'setup'; url: string; target: SetupTarget; groups: number; groupSize: number; prefix: string; password: string; handler?: string; nodeUrls?: string[] }
  | { t: 'run'; ratePerSec: number; durationMs: number }
  | { t: 'idle'; url: string; orgId: string; users: number; devicesPerUser: number; prefix: string; password: string }
  | { t: 'exit' };

export type FromWorker =
  | { t: 'ready'; users: number; connections: number }
  /** `deliverSame` / `deliverCross`: the deliveries whose driver knew sender and recipient were on the same node / on different nodes (both empty where it did not know). */
  | { t: 'result'; sent: number; acked: number; delivered: number; expectedDeliveries: number; errors: number; ack: string; deliver: string; deliverSame: string; deliverCross: string; cpuMs: number; elapsedMs: number }
  | { t: 'failed'; error: string };
