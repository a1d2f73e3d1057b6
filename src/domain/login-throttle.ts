import { FailureLimiter } from './rate-limit.js';

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
/** Logins with known sources kept in all; the least recently successful is forgotten first. */
const KNOWN_KEYS = 100_000;

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
 * State is this node's memory (bounded, rebuilt by use): a restart forgets counts and known
 * sources, which errs towards letting the owner in.
 */
export class LoginThrottle {
  private readonly pairs: FailureLimiter;
  private readonly addresses: FailureLimiter;
  private readonly logins: FailureLimiter;
  /** Next time an unknown source may try a guarded login. */
  private readonly guardNext = new Map<string, number>();
  /** login key → known source ("a:<address>" or "d:<device>") → when it stops being known. */
  private readonly known = new Map<string, Map<string, number>>();

  constructor(
    private readonly opts: LoginThrottleOptions,
    private readonly onLimited: (reason: ThrottleReason) => void = () => undefined,
  ) {
    this.pairs = new FailureLimiter(opts.perPair, opts.windowMs);
    this.addresses = new FailureLimiter(opts.perAddress, opts.addressWindowMs);
    this.logins = new FailureLimiter(opts.guardThreshold, opts.windowMs);
  }

  /**
   * Undefined when an attempt for `key` from `source` may have its secret checked now; otherwise
   * why it is refused (answer 429). Letting an unknown source try a guarded login uses up the
   * guard's slot until `guardIntervalMs` has passed.
   */
  admit(key: string, source: LoginSource, now: number): ThrottleReason | undefined {
    const reason = this.refusal(key, source, now);
    if (reason !== undefined) this.onLimited(reason);
    return reason;
  }

  private refusal(key: string, source: LoginSource, now: number): ThrottleReason | undefined {
    if (this.pairs.blocked(pairKey(key, source), now)) return 'pair';
    if (this.addresses.blocked(source.address, now)) return 'address';
    if (!this.logins.blocked(key, now) || this.isKnown(key, source, now)) return undefined;
    const next = this.guardNext.get(key) ?? 0;
    if (now < next) return 'guard';
    this.guardNext.set(key, now + this.opts.guardIntervalMs);
    return undefined;
  }

  /** Counts a wrong secret for `key` from `source`. */
  failed(key: string, source: LoginSource, now: number): void {
    this.pairs.fail(pairKey(key, source), now);
    this.addresses.fail(source.address, now);
    this.logins.fail(key, now);
  }

  /** A right secret: the pair starts over and the source becomes known for this login. */
  succeeded(key: string, source: LoginSource, now: number): void {
    this.pairs.reset(pairKey(key, source));
    let sources = this.known.get(key);
    if (sources) this.known.delete(key);
    else sources = new Map();
    this.known.set(key, sources);
    const until = now + this.opts.knownTtlMs;
    for (const id of sourceIds(source)) {
      sources.delete(id);
      sources.set(id, until);
    }
    while (sources.size > KNOWN_PER_KEY) sources.delete(sources.keys().next().value as string);
    while (this.known.size > KNOWN_KEYS) this.known.delete(this.known.keys().next().value as string);
  }

  /** Drops ended windows, spent guard slots and expired known sources; call periodically. */
  sweep(now: number): void {
    this.pairs.sweep(now);
    this.addresses.sweep(now);
    this.logins.sweep(now);
    for (const [k, next] of this.guardNext) if (next <= now) this.guardNext.delete(k);
    for (const [k, sources] of this.known) {
      for (const [id, until] of sources) if (until <= now) sources.delete(id);
      if (sources.size === 0) this.known.delete(k);
    }
  }

  private isKnown(key: string, source: LoginSource, now: number): boolean {
    const sources = this.known.get(key);
    if (!sources) return false;
    return sourceIds(source).some((id) => (sources.get(id) ?? 0) > now);
  }
}

function pairKey(key: string, source: LoginSource): string {
  return `${key}\n${source.address}`;
}

function sourceIds(source: LoginSource): string[] {
  return source.deviceId === undefined ? [`a:${source.address}`] : [`a:${source.address}`, `d:${source.deviceId}`];
}
