/**
 * Progress reporting for long operator commands (imports, sweeps, bulk deletes).
 *
 * Contract: progress goes to stderr only, so stdout stays the command's result (one JSON document
 * with `--json`, plain lines otherwise) and can be piped. On a terminal the bar redraws in place at
 * most every 100 ms; elsewhere (a log file, CI) it writes one plain line at most every 5 s and one
 * at the end, so logs stay short. `quiet` writes nothing.
 */
export interface Progress {
  /** Adds `n` finished units (default 1). */
  tick(n?: number): void;
  /** Raises the expected total when it was unknown or grew (e.g. while reading a stream). */
  setTotal(total: number): void;
  /** Writes the final state once; later calls do nothing. */
  done(): void;
}

export interface ProgressOptions {
  /** Shown before the bar, e.g. a collection name. */
  label: string;
  /** Expected units; unknown totals show a count and a rate only. */
  total?: number;
  quiet?: boolean;
  /** Defaults to process.stderr. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Defaults to Date.now; tests pass a clock. */
  now?: () => number;
}

const BAR_WIDTH = 28;
const TTY_EVERY_MS = 100;
const PLAIN_EVERY_MS = 5_000;

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = 'isTTY' in stream && stream.isTTY === true;
  const started = now();
  let total = options.total;
  let count = 0;
  let lastDraw = -Infinity;
  let finished = false;

  const line = (): string => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = Math.round(count / seconds);
    if (total === undefined || total <= 0) return `${options.label}: ${count} (${rate}/s)`;
    const share = Math.min(count / total, 1);
    const filled = Math.round(share * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
    return `${options.label} [${bar}] ${count}/${total} ${(share * 100).toFixed(0)}% (${rate}/s)`;
  };

  const draw = (final: boolean): void => {
    if (options.quiet === true) return;
    const at = now();
    if (!final && at - lastDraw < (tty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) return;
    lastDraw = at;
    if (tty) stream.write(`\r\x1b[2K${line()}${final ? '\n' : ''}`);
    else stream.write(`${line()}\n`);
  };

  return {
    tick(n = 1) {
      if (finished) return;
      count += n;
      draw(false);
    },
    setTotal(value) {
      total = value;
    },
    done() {
      if (finished) return;
      finished = true;
      draw(true);
    },
  };
}
