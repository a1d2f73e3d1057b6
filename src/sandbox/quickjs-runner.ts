import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSWASMModule } from 'quickjs-emscripten';
import type { FetchReply, FetchRequest } from './guarded-fetch.js';
import type { HandlerFailureKind, HandlerJob, HandlerOutcome, HandlerVerdict, SandboxLimits } from './sandbox.js';

/** The QuickJS build every run uses: the release build without asyncify (host calls never block). */
export function loadQuickJs(): Promise<QuickJSWASMModule> {
  return newQuickJSWASMModule(RELEASE_SYNC);
}

/** Performs one FETCH for a run (sandbox/guarded-fetch.ts in production). */
export type Fetcher = (req: FetchRequest, timeoutMs: number) => Promise<FetchReply>;

/**
 * QuickJS's own stack limit, well inside the thread's native stack: deep recursion becomes a
 * catchable "stack overflow" in the script instead of overflowing the host (see worker-pool.ts).
 */
const STACK_BYTES = 256 * 1024;

/**
 * Runs before the script, in the script's context, with the host functions as arguments: they
 * never become globals, so the script reaches the host only through `env.FETCH`. The returned
 * function reads the verdict (the first ACCEPT/RESOLVE/REJECT call) as JSON, or null when it is
 * longer than the output limit. JSON is captured here, before the script could replace it.
 */
const PRELUDE = `(function (hostFetch, messageJson, userJson, maxOutput) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  let verdict;
  const decide = (v) => { if (verdict === undefined) verdict = v; return v; };
  const fetch = async (url, init) => {
    const reply = parse(await hostFetch(String(url), stringify(init === undefined || init === null ? {} : init)));
    let json = null;
    try { json = parse(reply.text); } catch (e) { json = null; }
    return { ok: reply.ok, status: reply.status, headers: reply.headers, json: async () => json, text: async () => reply.text };
  };
  globalThis.env = {
    MESSAGE: parse(messageJson),
    USER: parse(userJson),
    ACCEPT: () => decide({ kind: 'accept' }),
    RESOLVE: (result, options) => decide({ kind: 'resolve', result: result === undefined ? null : result, replaceBody: !!(options && options.isReplaceBody) }),
    REJECT: (reason) => decide({ kind: 'reject', reason: reason === undefined ? null : reason }),
    FETCH: fetch,
  };
  return () => {
    const out = stringify(verdict === undefined ? { kind: 'accept' } : verdict);
    return out.length > maxOutput ? null : out;
  };
})`;

/** A run that ended without a verdict. */
class RunFailure extends Error {
  constructor(
    readonly kind: HandlerFailureKind,
    detail: string,
  ) {
    super(detail);
  }
}

/** Classifies an error thrown inside QuickJS by its name and message. */
function failureOf(name: string, message: string): RunFailure {
  if (name === 'InternalError' && message === 'interrupted') return new RunFailure('timeout', 'the handler ran past its time limit');
  if (name === 'InternalError' && message === 'out of memory') return new RunFailure('memory', 'the handler ran out of memory');
  return new RunFailure('error', `${name}: ${message}`.slice(0, 500));
}

/**
 * Reads a thrown value's name and message as plain properties (never `dump`, whose
 * JSON.stringify would run the script's toJSON), under a short fresh time budget: reading may
 * still run the script's getters.
 */
function errorOf(ctx: QuickJSContext, handle: QuickJSHandle, allowMs: (ms: number) => void): RunFailure {
  allowMs(100);
  try {
    if (ctx.typeof(handle) !== 'object') return failureOf('Error', ctx.typeof(handle) === 'string' ? ctx.getString(handle) : `a ${ctx.typeof(handle)} was thrown`);
    const read = (key: string): string | undefined => {
      const v = ctx.getProp(handle, key);
      try {
        return ctx.typeof(v) === 'string' ? ctx.getString(v) : undefined;
      } finally {
        v.dispose();
      }
    };
    const line = ctx.getProp(handle, 'lineNumber');
    const lineNumber = ctx.typeof(line) === 'number' ? ctx.getNumber(line) : undefined;
    line.dispose();
    const f = failureOf(read('name') ?? 'Error', read('message') ?? '');
    return f.kind === 'error' && lineNumber !== undefined ? new RunFailure('error', `${f.message} (line ${String(lineNumber)})`) : f;
  } catch {
    return new RunFailure('error', 'the handler threw a value that could not be read');
  } finally {
    handle.dispose();
  }
}

/** Parses the validated fields of a FETCH init the script passed as JSON. */
function fetchRequest(url: string, initJson: string): FetchRequest {
  const init = JSON.parse(initJson) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  if (typeof init.headers === 'object' && init.headers !== null) {
    for (const [k, v] of Object.entries(init.headers as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
  }
  return { url, ...(typeof init.method === 'string' ? { method: init.method } : {}), headers, ...(typeof init.body === 'string' ? { body: init.body } : {}) };
}

/**
 * Runs one handler script in a fresh QuickJS runtime and context (nothing survives between runs,
 * nothing is shared between conversations), with the memory, stack, time, output and FETCH
 * limits. The script is an ES module (top-level await allowed); there is no module loader, so
 * every `import` fails, and the context has no host objects besides `env` (no process, require,
 * file system, timers or network other than FETCH). Never rejects.
 *
 * The time limit is enforced here by QuickJS's interrupt handler and by the deadline on FETCH
 * waits; a host call that does not return (it cannot be interrupted) is the caller's to stop:
 * worker-pool.ts terminates the thread.
 */
export async function runHandler(mod: QuickJSWASMModule, job: HandlerJob, limits: SandboxLimits, fetcher: Fetcher): Promise<HandlerOutcome> {
  const started = Date.now();
  const deadline = started + limits.timeoutMs;
  const rt = mod.newRuntime();
  rt.setMemoryLimit(limits.memoryBytes);
  rt.setMaxStackSize(STACK_BYTES);
  // Past the deadline the script is interrupted; reading its error afterwards gets a short budget.
  let limit = deadline;
  const allowMs = (ms: number): void => {
    limit = Date.now() + ms;
  };
  rt.setInterruptHandler(() => Date.now() > limit);
  const ctx = rt.newContext();
  const unwrap = (r: { error?: QuickJSHandle; value?: QuickJSHandle }): QuickJSHandle => {
    if (r.error) throw errorOf(ctx, r.error, allowMs);
    return r.value as QuickJSHandle;
  };
  const deferred = new Set<QuickJSDeferredPromise>();
  let wake: () => void = () => undefined;
  let fetches = 0;
  const handles: QuickJSHandle[] = [];
  const keep = (h: QuickJSHandle): QuickJSHandle => {
    handles.push(h);
    return h;
  };
  try {
    const hostFetch = keep(
      ctx.newFunction('fetch', (urlHandle, initHandle) => {
        const url = ctx.getString(urlHandle);
        const initJson = ctx.getString(initHandle);
        const d = ctx.newPromise();
        deferred.add(d);
        fetches += 1;
        const settle = (reply: FetchReply): void => {
          if (!deferred.has(d)) return;
          deferred.delete(d);
          const value = ctx.newString(JSON.stringify({ ok: reply.ok, status: reply.status, headers: reply.headers, text: reply.text }));
          d.resolve(value);
          value.dispose();
          d.dispose();
          wake();
        };
        const left = Math.max(1, Math.min(limits.fetchTimeoutMs, deadline - Date.now()));
        const overLimit = fetches > limits.fetchMaxCalls;
        // Settled later, never inside this call: the promise handle must be alive when returned.
        Promise.resolve()
          .then(() => (overLimit ? Promise.reject(new Error('too many FETCH calls')) : fetcher(fetchRequest(url, initJson), left)))
          .then(settle, () => settle({ ok: false, status: 500, headers: {}, text: '' }));
        return d.handle;
      }),
    );
    const factory = keep(unwrap(ctx.evalCode(PRELUDE, 'prelude.js', { type: 'global', strict: true })));
    const args = [hostFetch, keep(ctx.newString(JSON.stringify(job.message))), keep(ctx.newString(JSON.stringify(job.user))), keep(ctx.newNumber(limits.outputBytes))];
    const read = keep(unwrap(ctx.callFunction(factory, ctx.undefined, args)));
    const evaluated = keep(unwrap(ctx.evalCode(job.source, 'handler.js', { type: 'module' })));
    await settleModule(ctx, evaluated, deadline, () => deferred.size, (w) => (wake = w), unwrap, allowMs);
    const out = unwrap(ctx.callFunction(read, ctx.undefined));
    const json = ctx.typeof(out) === 'string' ? ctx.getString(out) : null;
    out.dispose();
    if (json === null) throw new RunFailure('output', `the handler's result is longer than ${String(limits.outputBytes)} characters`);
    return { ok: true, verdict: JSON.parse(json) as HandlerVerdict, ms: Date.now() - started };
  } catch (err) {
    let f = err instanceof RunFailure ? err : new RunFailure('error', err instanceof Error ? err.message : String(err));
    // Whatever the script threw last, a run past its deadline was stopped for its time.
    if (f.kind === 'error' && Date.now() > deadline) f = new RunFailure('timeout', 'the handler ran past its time limit');
    return { ok: false, failure: f.kind, detail: f.message, ms: Date.now() - started };
  } finally {
    for (const d of deferred) d.dispose();
    for (const h of handles.reverse()) if (h.alive) h.dispose();
    ctx.dispose();
    rt.dispose();
  }
}

/**
 * Runs the module's jobs until its evaluation promise settles, waiting for FETCH replies in
 * between, up to the deadline. A module that can make no more progress (it awaits something
 * that never settles) counts as finished: the verdict it gave so far, if any, stands.
 */
async function settleModule(
  ctx: QuickJSContext,
  evaluated: QuickJSHandle,
  deadline: number,
  outstanding: () => number,
  onWake: (w: () => void) => void,
  unwrap: (r: { error?: QuickJSHandle; value?: QuickJSHandle }) => QuickJSHandle,
  allowMs: (ms: number) => void,
): Promise<void> {
  const rt = ctx.runtime;
  for (;;) {
    const jobs = rt.executePendingJobs();
    if (jobs.error) unwrap(jobs);
    const state = ctx.getPromiseState(evaluated);
    if (state.type === 'rejected') throw errorOf(ctx, state.error, allowMs);
    if (state.type === 'fulfilled') {
      if (!state.notAPromise) state.value.dispose();
      return;
    }
    if (outstanding() === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new RunFailure('timeout', 'the handler ran past its time limit');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      onWake(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Compiles `source` as a module without running it; undefined when it parses, else the error. */
export function checkSyntax(mod: QuickJSWASMModule, source: string, memoryBytes: number): string | undefined {
  const rt = mod.newRuntime();
  rt.setMemoryLimit(memoryBytes);
  rt.setMaxStackSize(STACK_BYTES);
  const deadline = Date.now() + 1000;
  rt.setInterruptHandler(() => Date.now() > deadline);
  const ctx = rt.newContext();
  try {
    const r = ctx.evalCode(source, 'handler.js', { type: 'module', compileOnly: true });
    if (r.error) {
      const f = errorOf(ctx, r.error, () => undefined);
      return f.message;
    }
    r.value.dispose();
    return undefined;
  } finally {
    ctx.dispose();
    rt.dispose();
  }
}
