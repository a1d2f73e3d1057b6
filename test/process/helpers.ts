import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export { freePort } from '../helpers/free-port.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A spawned server process with its output captured. */
export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `src/main.ts` (or another script) as one real process (tsx as an import hook, so signals
 * reach the script itself, not a wrapper) with exactly `env`.
 */
export function spawnScript(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

/** Polls GET /readyz until it answers 200. */
export async function waitReady(port: number, proc: Proc, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`server exited early: ${proc.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`server not ready: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
