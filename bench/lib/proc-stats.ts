import { readFileSync } from 'node:fs';

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
