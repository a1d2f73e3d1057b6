import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildConsole, consoleStaleReason } from '../../scripts/build-state.mjs';
import { ROOT } from '../process/helpers.js';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH names another. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI (CI set) a missing
 * Chromium is an error, not a skip: CI must run them (.ci/run installs it).
 */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} not found; install the chromium package (apt-get install chromium) to run the browser tests`;
  if (process.env.CI) throw new Error(`${reason} (CI must run them)`);
  return reason;
}

/**
 * Builds the web console into dist/console with Vite when its sources changed since the last
 * build (the tests run the server from src/, with no full build).
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (consoleStaleReason(ROOT) === undefined) return;
  const code = await buildConsole(ROOT, 'pipe');
  if (code !== 0) throw new Error(`building the web console failed (exit code ${String(code)})`);
}

/**
 * A headless Chromium that reaches nothing but loopback. Playwright gives it a fresh profile
 * (a new --user-data-dir) and removes it on close.
 */
export class TestBrowser {
  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    // The machine may have no outside network: without these switches Chromium keeps trying to
    // reach Google's services (updates, sync, QUIC probes) and floods refused connections.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    return new TestBrowser(browser);
  }

  /** A new context (its own cookies and storage: another user, another window). */
  context(): Promise<BrowserContext> {
    return this.browser.newContext({ viewport: { width: 1280, height: 800 } });
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/**
 * Records what a page reports as going wrong: console errors (CSP violations among them),
 * uncaught exceptions, failed requests, and answers of 400 and above except those the test
 * expects (`allow`: URL path and status, e.g. a wrong key's 401).
 */
export function watchProblems(page: Page, allow: readonly { path: string; status: number }[] = []): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs the refused answers it fetched; those are judged below, by `allow`.
    if (/Failed to load resource: the server responded with a status of/.test(m.text())) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const path = new URL(r.url()).pathname;
    if (allow.some((a) => a.path === path && a.status === r.status())) return;
    problems.push(`HTTP ${String(r.status())}: ${r.request().method()} ${r.url()}`);
  });
  return problems;
}
