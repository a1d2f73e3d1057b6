/** Messages between the bench coordinator and its generator processes (over IPC). */

/** Which protocol a generator speaks to the server under test, and what it needs to know to do so. */
export type SetupTarget =
  /** Parley or the bare baseline: users are created in this organization. */
  | { protocol: 'sama'; orgId: string }
  /** An XMPP server over WebSocket: users register on `domain`, each group is a room on `mucDomain`. */
  | { protocol: 'xmpp'; domain: string; mucDomain: string };

export type ToWorker =
  /** `handler`: a conversation handler script each group's owner installs (SAMA only). */
  | { t: 'setup'; url: string; target: SetupTarget; groups: number; groupSize: number; prefix: string; password: string; handler?: string }
  | { t: 'run'; ratePerSec: number; durationMs: number }
  | { t: 'idle'; url: string; orgId: string; users: number; devicesPerUser: number; prefix: string; password: string }
  | { t: 'exit' };

export type FromWorker =
  | { t: 'ready'; users: number; connections: number }
  | { t: 'result'; sent: number; acked: number; delivered: number; expectedDeliveries: number; errors: number; ack: string; deliver: string; cpuMs: number; elapsedMs: number }
  | { t: 'failed'; error: string };
