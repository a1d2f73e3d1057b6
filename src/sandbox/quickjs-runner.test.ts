import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { QuickJSWASMModule } from 'quickjs-emscripten';
import type { FetchReply, FetchRequest } from './guarded-fetch.js';
import { checkSyntax, loadQuickJs, runHandler, type Fetcher } from './quickjs-runner.js';
import type { HandlerOutcome, SandboxLimits } from './sandbox.js';

const LIMITS: SandboxLimits = { timeoutMs: 1000, memoryBytes: 16 * 2 ** 20, outputBytes: 10_000, fetchTimeoutMs: 500, fetchMaxBytes: 10_000, fetchMaxCalls: 3, fetchAllow: '' };
const MESSAGE = { cid: 'c1', body: 'hello world', x: { n: 1 } };
const USER = { _id: 'u1', login: 'alice' };
const noFetch: Fetcher = () => Promise.reject(new Error('no fetch in this test'));

/** The §8 convention around a handler body. */
const script = (body: string): string => `async function handler(message, user, accept, resolve, reject, fetch) {\n${body}\n}\nexport default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH)`;

describe('QuickJS handler runner', () => {
  let mod: QuickJSWASMModule;
  before(async () => {
    mod = await loadQuickJs();
  });
  const run = (source: string, limits: Partial<SandboxLimits> = {}, fetcher: Fetcher = noFetch): Promise<HandlerOutcome> => runHandler(mod, { source, message: MESSAGE, user: USER }, { ...LIMITS, ...limits }, fetcher);
  const verdict = async (source: string, limits: Partial<SandboxLimits> = {}, fetcher?: Fetcher): Promise<unknown> => {
    const o = await run(source, limits, fetcher);
    assert.ok(o.ok, `expected a verdict, got ${JSON.stringify(o)}`);
    return o.verdict;
  };
  const failure = async (source: string, limits: Partial<SandboxLimits> = {}, fetcher?: Fetcher): Promise<{ failure: string; detail: string }> => {
    const o = await run(source, limits, fetcher);
    assert.ok(!o.ok, `expected a failure, got ${JSON.stringify(o)}`);
    return { failure: o.failure, detail: o.detail };
  };

  it('gives the script the message and user, and takes its first decision', async () => {
    assert.deepEqual(await verdict(script('return accept()')), { kind: 'accept' });
    assert.deepEqual(await verdict(script('')), { kind: 'accept' });
    assert.deepEqual(await verdict('const x = 1;'), { kind: 'accept' });
    assert.deepEqual(await verdict(script("return reject('no ' + message.body + ' from ' + user.login)")), { kind: 'reject', reason: 'no hello world from alice' });
    assert.deepEqual(await verdict(script("reject('first'); return accept()")), { kind: 'reject', reason: 'first' });
    assert.deepEqual(await verdict(script("return resolve({message: {body: message.body.toUpperCase(), attachments: [{file_url: 'u'}]}}, {isReplaceBody: true})")), { kind: 'resolve', result: { message: { body: 'HELLO WORLD', attachments: [{ file_url: 'u' }] } }, replaceBody: true });
    assert.deepEqual(await verdict(script('return resolve()')), { kind: 'resolve', result: null, replaceBody: false });
    assert.deepEqual(await verdict(script('return reject()')), { kind: 'reject', reason: null });
  });

  it('reports a throw, with the error for the owner', async () => {
    assert.deepEqual(await failure(script("throw new TypeError('bad thing')")), { failure: 'error', detail: 'TypeError: bad thing' });
    assert.equal((await failure(script('return message.nope.deeper'))).failure, 'error');
    assert.equal((await failure(script('function f() { return f() + 1 } return f()'))).detail, 'InternalError: stack overflow');
  });

  it('exposes no host: process, require, imports, timers and prototype tricks find nothing', async () => {
    const probes = await verdict(script(`
      const out = {
        process: typeof process, require: typeof require, globalProcess: typeof globalThis.process, setTimeout: typeof setTimeout,
        fetchGlobal: typeof globalThis.fetch, hostFetch: typeof hostFetch, std: typeof std, os: typeof os, Deno: typeof Deno, Bun: typeof Bun,
        viaConstructor: (() => { try { return String((function(){}).constructor.constructor('return typeof process')()) } catch (e) { return String(e) } })(),
        viaAsyncConstructor: await (async () => { try { return String(await (async function(){}).constructor('return typeof require')()) } catch (e) { return String(e) } })(),
        viaProto: (() => { try { return String(({}).__proto__.constructor.constructor('return this')().process) } catch (e) { return String(e) } })(),
        dynamicImport: await (async () => { try { await import('fs'); return 'loaded' } catch (e) { return 'refused' } })(),
      };
      return resolve({ message: { body: JSON.stringify(out) } }, { isReplaceBody: true })`));
    const body = JSON.parse((probes as { result: { message: { body: string } } }).result.message.body) as Record<string, string>;
    assert.deepEqual(body, { process: 'undefined', require: 'undefined', globalProcess: 'undefined', setTimeout: 'undefined', fetchGlobal: 'undefined', hostFetch: 'undefined', std: 'undefined', os: 'undefined', Deno: 'undefined', Bun: 'undefined', viaConstructor: 'undefined', viaAsyncConstructor: 'undefined', viaProto: 'undefined', dynamicImport: 'refused' });
    assert.equal((await failure("import fs from 'fs'; export default 1")).failure, 'error');
    assert.equal((await failure("import { readFileSync } from 'node:fs'; export default readFileSync('/etc/passwd')")).failure, 'error');
  });

  it('stops a busy loop at the time limit', async () => {
    const started = Date.now();
    assert.equal((await failure(script('for (;;) {}'), { timeoutMs: 200 })).failure, 'timeout');
    assert.ok(Date.now() - started < 1000);
    assert.equal((await failure(script('while (true) { try { for (;;) {} } catch (e) {} }'), { timeoutMs: 200 })).failure, 'timeout');
  });

  it('stops a memory bomb at the memory limit', async () => {
    assert.equal((await failure(script("return reject('x'.repeat(64 * 1024 * 1024))"))).failure, 'memory');
    assert.equal((await failure(script('const a = []; for (;;) a.push(a.length)'), { timeoutMs: 5000 })).failure, 'memory');
    assert.equal((await failure(script('return reject(new ArrayBuffer(64 * 1024 * 1024).byteLength)'))).failure, 'memory');
  });

  it('refuses a verdict above the output limit', async () => {
    assert.equal((await failure(script("return resolve({message: {body: 'y'.repeat(20000)}})"))).failure, 'output');
    assert.ok((await run(script("return resolve({message: {body: 'y'.repeat(9000)}})"))).ok);
  });

  it('answers FETCH through the host, parsing JSON eagerly, and caps the number of calls', async () => {
    const seen: FetchRequest[] = [];
    const fetcher: Fetcher = (req) => {
      seen.push(req);
      const reply: FetchReply = { ok: true, status: 200, headers: { 'content-type': 'application/json' }, text: JSON.stringify({ verdict: 'ok', n: seen.length }) };
      return Promise.resolve(reply);
    };
    const v = await verdict(script(`
      const r = await fetch('http://api.example/check', { method: 'post', headers: { 'x-k': 'v' }, body: JSON.stringify({ text: message.body }) });
      const data = await r.json();
      const calls = [];
      for (let i = 0; i < 4; i++) calls.push((await fetch('http://api.example/' + i)).status);
      return resolve({ message: { body: [r.ok, r.status, r.headers['content-type'], data.verdict, await r.text(), calls.join()].join('|') } })`), {}, fetcher);
    assert.deepEqual(v, { kind: 'resolve', result: { message: { body: 'true|200|application/json|ok|{"verdict":"ok","n":1}|200,200,500,500' } }, replaceBody: false });
    assert.deepEqual(seen[0], { url: 'http://api.example/check', method: 'post', headers: { 'x-k': 'v' }, body: '{"text":"hello world"}' });
    assert.equal(seen.length, 3);
    const failing = await verdict(script("const r = await fetch('http://down.example/'); return reject(r.ok + ' ' + r.status + ' ' + JSON.stringify(await r.json()))"), {}, noFetch);
    assert.deepEqual(failing, { kind: 'reject', reason: 'false 500 null' });
  });

  it('counts FETCH waits in the time limit', async () => {
    const never: Fetcher = () => new Promise(() => undefined);
    const started = Date.now();
    assert.equal((await failure(script("await fetch('http://slow.example/'); return reject('late')"), { timeoutMs: 300 }, never)).failure, 'timeout');
    assert.ok(Date.now() - started < 1500);
    // A script waiting on nothing that can settle is finished: its verdict so far stands.
    assert.deepEqual(await verdict(script("reject('decided'); await new Promise(() => {})"), {}, never), { kind: 'reject', reason: 'decided' });
  });

  it('checks syntax without running', () => {
    assert.equal(checkSyntax(mod, script('for (;;) {}'), LIMITS.memoryBytes), undefined);
    assert.match(checkSyntax(mod, 'export default (', LIMITS.memoryBytes) ?? '', /^SyntaxError: /);
  });
});
