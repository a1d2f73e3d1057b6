import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type WebSocket from 'ws';
import { TestBrowser, browserUnavailable, ensureConsoleBuilt, watchProblems } from '../helpers/browser.js';
import { ROOT } from '../process/helpers.js';
import { ADMIN_KEY, TestServer, uniqueName, type TestUser } from '../helpers/server.js';

// The web console and the chat demo in headless Chromium against a real server: every page
// shows data this test made through the API, account actions taken in the UI take effect on the
// server, two demo windows chat, and no page logs an error or fails a request.
// PARLEY_SCREENSHOTS=1 also writes the README's screenshots to docs/img/.

const skip = browserUnavailable();
if (skip) console.log(`# skipping the browser tests: ${skip}`);
const SCREENSHOTS = process.env.PARLEY_SCREENSHOTS === '1';
const WAIT = { timeout: 10_000 };

function closeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** Polls `read` until `ok` holds for its value (the page updates on its own schedule). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function shoot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(join(ROOT, 'docs', 'img'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs', 'img', name) });
}

describe('web console and chat demo in Chromium', { skip }, () => {
  let server: TestServer;
  let browser: TestBrowser;
  let orgId = '';
  let orgName = '';
  let alice: TestUser;
  let bob: TestUser;
  let cid = '';
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    await ensureConsoleBuilt();
    server = await TestServer.start();
    browser = await TestBrowser.launch();
    orgName = uniqueName('Acme ');
    orgId = await server.createOrg(orgName);
    alice = await server.createUser(orgId, { login: uniqueName('alice') });
    bob = await server.createUser(orgId, { login: uniqueName('bob') });
    const a = await server.loggedIn(alice);
    const made = await a.request('conversation_create', { type: 'g', name: 'Launch plans', participants: [bob._id] });
    cid = made.conversation._id;
    // Bob is offline: each message leaves a push for him in the outbox (no push sender is set).
    for (let i = 0; i < 3; i += 1) await a.request('message', { id: `seed${String(i)}`, cid, body: `seed ${String(i)}` });
    await a.close();
    context = await browser.context();
    page = await context.newPage();
    problems = watchProblems(page, [{ path: '/admin/overview', status: 401 }]);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('is served with a strict CSP, and signs in with the admin key only (never in the URL)', async () => {
    const res = await page.goto(`${server.httpUrl}/console/`);
    assert.equal(res?.status(), 200);
    const csp = (await res?.allHeaders())?.['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    await page.fill('input[name=key]', 'not-the-key');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'not the admin key' }).waitFor(WAIT);
    await page.fill('input[name=key]', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Live overview' }).waitFor(WAIT);
    assert.ok(!page.url().includes(ADMIN_KEY), 'the key is not in the URL');
    const cookies = await context.cookies();
    assert.deepEqual(cookies, [], 'no cookie holds the key');
  });

  it('the live overview moves after messages are sent, and charts them', async () => {
    const total = async (): Promise<number> => Number(/(\d+) since start/.exec(await page.locator('[data-stat=messages_per_second] .hint').innerText())?.[1] ?? NaN);
    await page.locator('[data-stat=messages_per_second] .hint').waitFor(WAIT);
    const before = await total();
    const a = await server.loggedIn(alice, 'overview');
    for (let i = 0; i < 20; i += 1) await a.request('message', { id: `ov${String(i)}`, cid, body: `overview ${String(i)}` });
    await until(total, (n) => n >= before + 20, 'messages since start');
    await until(async () => Number(await page.locator('[data-stat=online_users] .value').innerText()), (n) => n >= 1, 'online users');
    await until(async () => Number(await page.locator('[data-stat=messages_per_second] .value').innerText()), (n) => n > 0, 'messages per second');
    assert.match(await page.locator('[data-stat=store] .value').innerText(), /^ok/);
    assert.match(await page.locator('[data-stat=redis] .value').innerText(), /not used/);
    assert.ok(Number(await page.locator('[data-stat=push_outbox] .value').innerText()) >= 3, 'the pushes waiting for Bob');
    assert.match(await page.locator('[data-stat=p99] .hint').innerText(), /since start \d/);
    assert.equal(await page.locator('.chart canvas').count(), 3);
    // Keep sending for a while so the screenshot's charts have a shape.
    for (let i = 0; i < (SCREENSHOTS ? 8 : 0); i += 1) {
      for (let j = 0; j < 5 + 4 * i; j += 1) await a.request('message', { id: `shot${String(i)}-${String(j)}`, cid, body: 'x' });
      await new Promise((r) => setTimeout(r, 1000));
    }
    await a.close();
    await shoot(page, 'console-overview.png');
  });

  it('organizations show the one the test made, with its users and a chat demo link', async () => {
    await page.getByRole('link', { name: 'Organizations', exact: true }).click();
    const row = page.locator(`tr[data-org="${orgId}"]`);
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), new RegExp(`${orgName}[\\s\\S]*\\b2\\b`));
    assert.equal(await row.locator('a', { hasText: 'Open chat demo' }).getAttribute('href'), `/console/demo/?org=${orgId}`);
  });

  it('users: listed, searched, created; the created user logs in', async () => {
    await page.goto(`${server.httpUrl}/console/#/users/${orgId}`);
    await page.locator(`tr[data-user="${alice.login}"]`).waitFor(WAIT);
    await page.locator(`tr[data-user="${bob.login}"]`).waitFor(WAIT);
    await page.fill('input[name=q]', bob.login);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator(`tr[data-user="${alice.login}"]`).waitFor({ state: 'detached', ...WAIT });
    await page.fill('input[name=q]', '');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const login = uniqueName('carol');
    await page.fill('input[name=login]', login);
    await page.getByRole('button', { name: 'Create user', exact: true }).click();
    const notice = page.locator('.notice', { hasText: `Created ${login}` });
    await notice.waitFor(WAIT);
    const password = /with password: (\S+)/.exec(await notice.innerText())?.[1] ?? '';
    assert.equal(password.length, 20);
    await page.locator(`tr[data-user="${login}"]`).waitFor(WAIT);
    const carolWs = await server.loggedIn({ _id: '', login, password, orgId, user: {} });
    await carolWs.close();
    await shoot(page, 'console-users.png');
  });

  it('users: reset password, revoke sessions and delete from the UI take effect on the server', async () => {
    const victim = await server.createUser(orgId, { login: uniqueName('dave') });
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.locator(`tr[data-user="${victim.login}"]`);
    await row.waitFor(WAIT);

    let socket = await server.loggedIn(victim);
    let closed = closeOf(socket.ws);
    await row.getByRole('button', { name: 'Reset password', exact: true }).click();
    const notice = page.locator('.notice', { hasText: `New password for ${victim.login}` });
    await notice.waitFor(WAIT);
    assert.equal(await closed, 4002, 'the open session ended');
    const password = /: (\S+) \(sessions ended/.exec(await notice.innerText())?.[1] ?? '';
    await assert.rejects(server.loggedIn(victim), 'the old password no longer works');
    socket = await server.loggedIn({ ...victim, password });

    closed = closeOf(socket.ws);
    await row.getByRole('button', { name: 'Revoke sessions', exact: true }).click();
    await page.locator('.notice', { hasText: `Sessions of ${victim.login} revoked` }).waitFor(WAIT);
    assert.equal(await closed, 4002);

    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.getByRole('button', { name: 'Confirm delete', exact: true }).click();
    await page.locator('.notice', { hasText: `Deleted ${victim.login}` }).waitFor(WAIT);
    await row.waitFor({ state: 'detached', ...WAIT });
    await assert.rejects(server.loggedIn({ ...victim, password }), 'the user is gone');
  });

  it("a user's conversations", async () => {
    await page.locator(`tr[data-user="${bob.login}"]`).getByRole('link', { name: 'Conversations' }).click();
    const row = page.locator(`tr[data-conversation="${cid}"]`);
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /Launch plans[\s\S]*group/);
  });

  it('the push outbox shows the pushes waiting for an offline user', async () => {
    await page.getByRole('link', { name: 'Push outbox', exact: true }).click();
    await page.selectOption('select[name=org]', orgId);
    await page.locator('[data-stat=push_total] .value').waitFor(WAIT);
    await until(async () => Number(await page.locator('[data-stat=push_total] .value').innerText()), (n) => n >= 3, 'pushes waiting');
    await page.locator(`table[data-table=pushes] td code`, { hasText: bob._id }).first().waitFor(WAIT);
    assert.deepEqual(problems, [], 'no console errors or failed requests in the console');
  });

  it('two chat demo windows sign up and exchange messages both ways', async () => {
    const windows = await Promise.all([browser.context(), browser.context()]);
    try {
      const pages = await Promise.all(windows.map((c) => c.newPage()));
      const issues = pages.map((p) => watchProblems(p));
      const [left, right] = pages as [Page, Page];
      const logins = [uniqueName('erin'), uniqueName('frank')] as const;
      for (const [p, login] of [[left, logins[0]], [right, logins[1]]] as const) {
        await p.setViewportSize({ width: 900, height: 640 });
        await p.goto(`${server.httpUrl}/console/demo/?org=${orgId}`);
        await p.fill('input[name=login]', login);
        await p.fill('input[name=password]', 'demo-pass');
        await p.getByRole('button', { name: 'Sign up', exact: true }).click();
        await p.locator('[data-me]', { hasText: login }).waitFor(WAIT);
      }
      await left.fill('input[name=peers]', logins[1]);
      await left.getByRole('button', { name: 'Start chat', exact: true }).click();
      await left.locator('.room header', { hasText: logins[1] }).waitFor(WAIT);
      await left.fill('input[name=text]', 'Hello from the left window');
      await left.getByRole('button', { name: 'Send', exact: true }).click();
      await left.locator('.msg.mine', { hasText: 'Hello from the left window' }).waitFor(WAIT);

      // The right window learns of the chat from the live message and opens it.
      const chat = right.locator('[data-list=conversations] button', { hasText: logins[0] });
      await chat.waitFor(WAIT);
      await chat.click();
      await right.locator('.msg', { hasText: 'Hello from the left window' }).waitFor(WAIT);
      await right.fill('input[name=text]', 'Hi back from the right');
      await right.getByRole('button', { name: 'Send', exact: true }).click();
      await left.locator('.msg:not(.mine)', { hasText: 'Hi back from the right' }).waitFor(WAIT);
      await left.fill('input[name=text]', 'And a live one');
      await left.getByRole('button', { name: 'Send', exact: true }).click();
      await right.locator('.msg:not(.mine)', { hasText: 'And a live one' }).waitFor(WAIT);

      if (SCREENSHOTS) {
        const [l, r] = await Promise.all(pages.map((p) => p.screenshot()));
        const frame = await windows[0].newPage();
        await frame.setViewportSize({ width: 1820, height: 660 });
        await frame.setContent(`<body style="margin:0;background:#94a3b8;display:flex;gap:20px;padding:10px">${[l, r].map((b) => `<img style="border:1px solid #475569" src="data:image/png;base64,${b!.toString('base64')}">`).join('')}</body>`);
        await frame.screenshot({ path: join(ROOT, 'docs', 'img', 'chat-demo.png') });
        await frame.close();
      }
      // Log out and back in with the password: the chat and its messages are still there.
      await left.getByRole('button', { name: 'Log out', exact: true }).click();
      await left.fill('input[name=login]', logins[0]);
      await left.fill('input[name=password]', 'demo-pass');
      await left.getByRole('button', { name: 'Log in', exact: true }).click();
      await left.locator('[data-list=conversations] button', { hasText: logins[1] }).click(WAIT);
      await left.locator('.msg', { hasText: 'Hi back from the right' }).waitFor(WAIT);
      assert.deepEqual(issues.flat(), [], 'no console errors or failed requests in the demo');
    } finally {
      await Promise.all(windows.map((c) => c.close()));
    }
  });
});

