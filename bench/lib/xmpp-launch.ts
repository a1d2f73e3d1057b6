import { execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { RunningServer } from './servers.js';
import { XmppClient } from './xmpp-client.js';

/** What the Prosody and ejabberd launchers share: finding binaries, dropping root, readiness, stopping. */

/** The path of an executable on PATH or in the sbin directories (which a non-root PATH often lacks). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Like findBinary, but a missing binary is an error that says which Debian package provides it. */
export function requireBinary(name: string, pkg: string): string {
  const p = findBinary(name);
  if (p === undefined) throw new Error(`${name} is not installed: apt-get install -y ${pkg} (keep its system service from starting; the bench starts its own on free ports)`);
  return p;
}

/** The installed Debian package version, or undefined where dpkg does not know the package. */
export function packageVersion(pkg: string): string | undefined {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** "<pkg version> (<runtime pkg> <version>)" for the results, or undefined off Debian. */
export function describeVersion(pkg: string, runtime: string): string | undefined {
  const v = packageVersion(pkg);
  if (v === undefined) return undefined;
  const r = packageVersion(runtime);
  return r === undefined ? v : `${v} (${runtime} ${r})`;
}

/**
 * How to run a server as its system user. As root the command is wrapped in setpriv, which
 * execs in place (no wrapper process stays behind), and the files the server needs are given to
 * that user; as anyone else the server runs as the current user.
 */
export interface RunAs {
  command(cmd: string, args: readonly string[]): [string, string[]];
  own(...paths: string[]): void;
}

export function runAs(user: string): RunAs {
  if (process.getuid?.() !== 0) return { command: (cmd, args) => [cmd, [...args]], own: () => undefined };
  const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  let uid: number;
  let gid: number;
  try {
    uid = id('-u');
    gid = id('-g');
  } catch {
    throw new Error(`system user ${user} not found (the Debian package creates it)`);
  }
  return {
    command: (cmd, args) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', cmd, ...args]],
    own: (...paths) => {
      for (const p of paths) chownSync(p, uid, gid);
    },
  };
}

/**
 * Waits until the server completes a WebSocket handshake and opens an XMPP stream (features
 * received); returns the time since `t0` in ms. Fails if the process exits first or after 60 s.
 */
export async function waitXmppReady(name: string, url: string, domain: string, child: ChildProcess, t0: number): Promise<number> {
  let last = '';
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  for (;;) {
    if (spawnError) throw new Error(`${name} could not be started: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it accepted XMPP connections${last ? `; last attempt: ${last}` : ''}`);
    try {
      const { client } = await XmppClient.connect(url, domain);
      client.close();
      return performance.now() - t0;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (performance.now() - t0 > 60_000) throw new Error(`${name} did not accept XMPP connections on ${url} within 60 s; last attempt: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every process below `root` in the process tree (from /proc), in no particular order. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Waits (up to 30 s) for a process named `name` at or below `child` to appear; fails if `child` exits first. */
export async function findProcess(child: ChildProcess, name: string): Promise<number> {
  const root = child.pid;
  if (root === undefined) throw new Error(`the launcher of ${name} could not be started`);
  child.once('error', () => undefined); // the exit check below reports it
  const t0 = performance.now();
  for (;;) {
    const found = [root, ...descendants(root)].find((p) => processName(p) === name);
    if (found !== undefined) return found;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} did not start: its launcher exited (${child.exitCode ?? child.signalCode})`);
    if (performance.now() - t0 > 30_000) throw new Error(`no ${name} process below ${root} within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The command name of a process (/proc/<pid>/comm), or undefined once it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

/**
 * Returns the stop() of a started server: SIGTERM to `pid` (the server process itself, which
 * may sit below `child`), wait for `child` to exit, SIGKILL both after 10 s, then remove `dir`.
 * Until stop() is called, the server is also SIGKILLed and `dir` removed if this process exits
 * (a crashed bench must not leave a server behind: the XMPP servers are not our children's
 * children only, and ejabberdctl would outlive us).
 */
export function guardedStop(child: ChildProcess, pid: number, dir: string): () => Promise<void> {
  const onExit = (): void => {
    signal(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return () =>
    new Promise((resolve) => {
      process.off('exit', onExit);
      const killer = setTimeout(() => {
        signal(pid, 'SIGKILL');
        child.kill('SIGKILL');
      }, 10_000);
      const done = (): void => {
        clearTimeout(killer);
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      signal(pid, 'SIGTERM');
    });
}

/** A started XMPP server process, before it is known to accept streams. */
export interface LaunchedXmpp {
  readonly name: string;
  readonly child: ChildProcess;
  /** The server process itself (measured for CPU and RSS), which may sit below `child`. */
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  readonly dir: string;
  readonly domain: string;
  readonly mucDomain: string;
  readonly version: string | undefined;
  readonly stop: () => Promise<void>;
  /** When the launch began (performance.now()), for the start-up time. */
  readonly t0: number;
}

/** Waits until `l` accepts an XMPP stream and describes it; stops it if it never does. */
export async function readyXmpp(l: LaunchedXmpp): Promise<RunningServer> {
  let startupMs: number;
  try {
    startupMs = await waitXmppReady(l.name, l.wsUrl, l.domain, l.child, l.t0);
  } catch (err) {
    await l.stop();
    throw err;
  }
  return {
    name: l.name,
    pid: l.pid,
    port: l.port,
    wsUrl: l.wsUrl,
    httpUrl: `http://127.0.0.1:${l.port}`,
    startupMs,
    dataDir: l.dir,
    xmpp: { domain: l.domain, mucDomain: l.mucDomain },
    version: l.version,
    stop: l.stop,
  };
}
