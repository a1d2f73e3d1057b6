/**
 * The sandbox port: runs conversation handler scripts (protocol.md §8) isolated from the server,
 * in time and in memory. main.ts picks the implementation (sandbox/worker-pool.ts: QuickJS in
 * worker threads); handlers and domain code depend on this file only.
 */

/** One run of a handler script for one incoming message. */
export interface HandlerJob {
  /** The script (§8 convention: `export default await handler(env.MESSAGE, env.USER, …)`). */
  readonly source: string;
  /** `env.MESSAGE`: the incoming message fields, client id removed. */
  readonly message: Record<string, unknown>;
  /** `env.USER`: the sender's public user object (never password fields). */
  readonly user: Record<string, unknown>;
}

/** What the script decided; the first ACCEPT/RESOLVE/REJECT call wins, none at all is ACCEPT. */
export type HandlerVerdict =
  | { readonly kind: 'accept' }
  /** `reason` as the script gave it (any JSON value; the caller decides what a non-string means). */
  | { readonly kind: 'reject'; readonly reason: unknown }
  /** RESOLVE(result, {isReplaceBody}): `result` as the script gave it, unvalidated. */
  | { readonly kind: 'resolve'; readonly result: unknown; readonly replaceBody: boolean };

/**
 * Why a run produced no verdict: the script threw (or never finished), ran past its wall time,
 * ran out of memory, produced more output than allowed, or could not be run (the pool was full,
 * its worker died).
 */
export type HandlerFailureKind = 'error' | 'timeout' | 'memory' | 'output' | 'unavailable';

export type HandlerOutcome =
  | { readonly ok: true; readonly verdict: HandlerVerdict; readonly ms: number }
  /** `detail`: a one-line explanation for the conversation owner (never sent to the sender). */
  | { readonly ok: false; readonly failure: HandlerFailureKind; readonly detail: string; readonly ms: number };

/** The limits every run gets. */
export interface SandboxLimits {
  /** Wall time of one run, FETCH waits included (ms). */
  readonly timeoutMs: number;
  /** Heap of one run's JavaScript runtime (bytes). */
  readonly memoryBytes: number;
  /** Size of the verdict as JSON (characters). */
  readonly outputBytes: number;
  /** Deadline of one FETCH (ms; also bounded by what is left of timeoutMs). */
  readonly fetchTimeoutMs: number;
  /** Largest FETCH response body (bytes). */
  readonly fetchMaxBytes: number;
  /** FETCH calls allowed per run. */
  readonly fetchMaxCalls: number;
  /** Addresses and CIDR ranges FETCH may reach although they are not public (comma-separated). */
  readonly fetchAllow: string;
}

/** Runs handler scripts. */
export interface ScriptSandbox {
  /** Runs one script for one message; never rejects (failures are outcomes). */
  run(job: HandlerJob): Promise<HandlerOutcome>;
  /**
   * Compiles without running: undefined when the script parses, else the syntax error. Rejects
   * when it could not be checked (no thread free in time, shut down).
   */
  check(source: string): Promise<string | undefined>;
  /** Stops every worker; later runs fail as 'unavailable'. */
  close(): Promise<void>;
}
