/**
 * The findings of `admin doctor`: each check says, in plain words, what it looked at and what
 * is wrong. `fail` makes the exit code 1; `warn` too with --strict.
 */
export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked: config, secrets, store, redis, storage, web-push, apns, fcm... */
  readonly area: string;
  readonly status: CheckStatus;
  readonly message: string;
}

/** Collects check results. */
export class Report {
  readonly results: CheckResult[] = [];

  ok(area: string, message: string): void {
    this.results.push({ area, status: 'ok', message });
  }

  info(area: string, message: string): void {
    this.results.push({ area, status: 'info', message });
  }

  warn(area: string, message: string): void {
    this.results.push({ area, status: 'warn', message });
  }

  fail(area: string, message: string): void {
    this.results.push({ area, status: 'fail', message });
  }

  /** Runs `check`, turning anything it throws into a failure of `area` that says `what` failed. */
  async guard(area: string, what: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (err) {
      this.fail(area, `${what}: ${describe(err)}`);
    }
  }

  count(status: CheckStatus): number {
    return this.results.filter((r) => r.status === status).length;
  }
}

/** An error as one line: its message and, for network errors, the cause's code. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = (err as { code?: unknown }).code ?? cause?.code;
  const text = err.message === '' && typeof cause?.message === 'string' ? cause.message : err.message;
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
