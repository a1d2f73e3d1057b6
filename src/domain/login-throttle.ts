import type { ThrottleStore } from './throttle-store.js';

/** Where a login attempt comes from: the client address and, when it gave one, its device id. */
export interface LoginSource {
  readonly address: string;
  readonly deviceId?: string;
}

/** Why an attempt was refused before its secret was checked. */
export type ThrottleReason = 'pair' | 'address' | 'guard';

export interface LoginThrottleOptions {
  /** Failures allowed for one login from one address per `windowMs`; then that pair waits. */
  readonly perPair: number;
  /** Failures allowed from one address, over every login, per `addressWindowMs`. */
  readonly perAddress: number;
  readonly addressWindowMs: number;
  /** Failures of one login from all addresses per `windowMs` past which the login is guarded. */
  readonly guardThreshold: number;
  /** While guarded, one attempt per this interval from a source the login has not succeeded from. */
  readonly guardIntervalMs: number;
  readonly windowMs: number;
  /** How long a source stays known after a successful login. */
  readonly knownTtlMs: number;
}

/** Known sources kept per login; the oldest is forgotten first. */
const KNOWN_PER_KEY = 16;

/**
 * Throttles password (and reset-code) guessing so that an attacker cannot turn it against the
 * account's owner — the OWASP Authentication Cheat Sheet's warning about account lockout, with its
 * answer of limiting per source and trusting known devices:
 *
 * - one address guessing one login is stopped after `perPair` failures per window: it locks out
 *   only itself, never the owner elsewhere;
 * - one address guessing many logins is stopped after `perAddress` failures per address window;
 * - many addresses guessing one login (past `guardThreshold` failures per window) do not lock it
 *   either: addresses and devices the owner has logged in from keep working, and every other
 *   source shares one attempt per `guardIntervalMs` — a delay for a newcomer, a crawl for a
 *   botnet.
 *
 * Refused attempts are not counted as failures, so a locked-out attacker cannot extend anything.
 * The counts live in a ThrottleStore: this node's memory on one node, Redis in a cluster (every
 * node then counts the same failures). Losing them errs towards letting the owner in.
 */
export class LoginThrottle {
  constructor(
    private readonly opts: LoginThrottleOptions,
    private readonly store: ThrottleStore,
    private readonly hooks: {
      /** An attempt was refused, and why (metrics). */
      readonly limited?: (reason: ThrottleReason) => void;
      /** The store failed (Redis unreachable): the attempt is let through, not refused. */
      readonly storeFailed?: (err: unknown) => void;
    } = {},
  ) {}

  /**
   * Undefined when an attempt for `key` from `source` may have its secret checked now; otherwise
   * why it is refused (answer 429). Letting an unknown source try a guarded login uses up the
   * guard's slot until `guardIntervalMs` has passed.
   */
  async admit(key: string, source: LoginSource, now: number): Promise<ThrottleReason | undefined> {
    let reason: ThrottleReason | undefined;
    try {
      reason = await this.refusal(key, source, now);
    } catch (err) {
      // Without its counts the throttle cannot tell a guesser from the owner; the password check
      // (argon2id, as slow as ever) still runs. Refusing everyone would lock every owner out.
      this.hooks.storeFailed?.(err);
      return undefined;
    }
    if (reason !== undefined) this.hooks.limited?.(reason);
    return reason;
  }

  private async refusal(key: string, source: LoginSource, now: number): Promise<ThrottleReason | undefined> {
    const [pair, address, login] = await Promise.all([
      this.store.failures(pairKey(key, source), now),
      this.store.failures(addressKey(source), now),
      this.store.failures(loginKey(key), now),
    ]);
    if (pair >= this.opts.perPair) return 'pair';
    if (address >= this.opts.perAddress) return 'address';
    if (login < this.opts.guardThreshold || (await this.store.knows(knownKey(key), sourceIds(source), now))) return undefined;
    return (await this.store.takeSlot(guardKey(key), this.opts.guardIntervalMs, now)) ? undefined : 'guard';
  }

  /** Counts a wrong secret for `key` from `source`. */
  async failed(key: string, source: LoginSource, now: number): Promise<void> {
    await Promise.all([
      this.store.fail(pairKey(key, source), this.opts.windowMs, now),
      this.store.fail(addressKey(source), this.opts.addressWindowMs, now),
      this.store.fail(loginKey(key), this.opts.windowMs, now),
    ]).catch((err: unknown) => this.hooks.storeFailed?.(err));
  }

  /** A right secret: the pair starts over and the source becomes known for this login. */
  async succeeded(key: string, source: LoginSource, now: number): Promise<void> {
    await Promise.all([this.store.reset(pairKey(key, source)), this.store.remember(knownKey(key), sourceIds(source), this.opts.knownTtlMs, KNOWN_PER_KEY, now)]).catch((err: unknown) => this.hooks.storeFailed?.(err));
  }
}

// One namespace per kind of counter, so a login named like an address cannot share a counter.
const pairKey = (key: string, source: LoginSource): string => `p\n${key}\n${source.address}`;
const addressKey = (source: LoginSource): string => `a\n${source.address}`;
const loginKey = (key: string): string => `l\n${key}`;
const guardKey = (key: string): string => `g\n${key}`;
const knownKey = (key: string): string => `k\n${key}`;

function sourceIds(source: LoginSource): string[] {
  return source.deviceId === undefined ? [`a:${source.address}`] : [`a:${source.address}`, `d:${source.deviceId}`];
}
