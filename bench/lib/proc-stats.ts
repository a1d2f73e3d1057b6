import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks.

/** CPU time (user+system, ms) and resident memory (bytes) of a process, read from /proc. */
export function procStats(pid: number): { cpuMs: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: ((utime + stime) * 1000) / CLK_TCK, rssBytes: rssKb * 1024 };
}

/** Samples a process between start() and stop(): CPU share (1.0 = one core) and peak RSS. */
export class ProcSampler {
  private start0 = { cpuMs: 0, at: 0 };
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(): void {
    this.start0 = { cpuMs: procStats(this.pid).cpuMs, at: performance.now() };
    this.peak = 0;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, procStats(this.pid).rssBytes);
    }, 250);
  }

  stop(): { cpuCores: number; peakRssBytes: number; rssBytes: number } {
    clearInterval(this.timer);
    const now = procStats(this.pid);
    const elapsed = performance.now() - this.start0.at;
    return { cpuCores: (now.cpuMs - this.start0.cpuMs) / elapsed, peakRssBytes: Math.max(this.peak, now.rssBytes), rssBytes: now.rssBytes };
  }
}

/** utime, stime, cutime and cstime of a process in ms, and its parent pid; undefined if it is gone. */
function statTimes(pid: number): { ppid: number; ownMs: number; reapedMs: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number): number => Number(f[i]);
  return { ppid: ticks(1), ownMs: ((ticks(11) + ticks(12)) * 1000) / CLK_TCK, reapedMs: ((ticks(13) + ticks(14)) * 1000) / CLK_TCK };
}

/**
 * CPU time (ms) used so far by a process and every process under it (PostgreSQL's postmaster
 * and the backends and helpers it forks). Each live process counts its own time plus that of
 * its children that have exited and been reaped (cutime, cstime), so a backend that ends between
 * two readings is still counted, and nothing is counted twice: a child's time moves into its
 * parent's cutime only once the child is gone. The difference of two readings is the tree's CPU
 * in between. Found by scanning /proc for parent pids (a few hundred reads; not for hot loops).
 */
export function treeCpuMs(rootPid: number): number {
  const children = new Map<number, number[]>();
  const times = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = statTimes(pid);
    if (!s) continue;
    times.set(pid, s.ownMs + s.reapedMs);
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += times.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Busy and steal time of the whole machine so far, ms summed over cores (from /proc/stat). */
export function machineCpuMs(): { busyMs: number; stealMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busyMs: ((user + nice + system + irq + softirq) * 1000) / CLK_TCK, stealMs: (steal * 1000) / CLK_TCK };
}
