import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpContext } from '../http.js';
import { CONSOLE_CSP, consoleStaticRoutes } from './console-static.js';

describe('console static files', () => {
  let root = '';
  let app: FastifyInstance;
  let bare: FastifyInstance;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'parley-console-'));
    mkdirSync(join(root, 'assets'));
    mkdirSync(join(root, 'demo'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(root, 'demo', 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(root, 'assets', 'console-abc123.js'), 'export {};');
    writeFileSync(join(root, 'assets', 'console-abc123.css'), 'body{}');
    writeFileSync(join(root, '.build-stamp.json'), '{"stamp":"STAMP-CONTENT"}');
    writeFileSync(join(root, '..', 'parley-console-secret.txt'), 'TOP-SECRET-CONTENT');
    app = Fastify();
    consoleStaticRoutes(root)(app, {} as HttpContext);
    bare = Fastify();
    consoleStaticRoutes(join(root, 'not-built'))(bare, {} as HttpContext);
  });
  after(async () => {
    await app.close();
    await bare.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(join(root, '..', 'parley-console-secret.txt'), { force: true });
  });

  it('serves pages with the CSP, revalidated on each load', async () => {
    for (const [url, title] of [['/console/', 'console'], ['/console/demo/', 'demo']] as const) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /^text\/html; charset=utf-8/);
      assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(res.body, new RegExp(`<title>${title}</title>`));
    }
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval|https?:/);
  });

  it('redirects folders named without their slash', async () => {
    for (const [url, to] of [['/console', '/console/'], ['/console/demo', '/console/demo/']] as const) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 308, url);
      assert.equal(res.headers.location, to);
    }
  });

  it('serves hashed assets with their type, cached for a year', async () => {
    const js = await app.inject({ url: '/console/assets/console-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const css = await app.inject({ url: '/console/assets/console-abc123.css' });
    assert.match(css.headers['content-type'] as string, /^text\/css/);
  });

  it('serves nothing outside the build, no dotfile, and 404 for the unknown', async () => {
    const urls = [
      '/console/../parley-console-secret.txt',
      '/console/%2e%2e/parley-console-secret.txt',
      '/console/assets/%2e%2e%2f%2e%2e%2fparley-console-secret.txt',
      '/console/assets/..%2f..%2fparley-console-secret.txt',
      '/console/%252e%252e%252fparley-console-secret.txt',
      '/console/.build-stamp.json',
      '/console/assets/.%2e/.build-stamp.json',
      '/console/nope.js',
      '/console/%00',
    ];
    for (const url of urls) {
      const res = await app.inject({ url });
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `${url}: ${String(res.statusCode)}`);
      assert.doesNotMatch(res.body, /TOP-SECRET-CONTENT|STAMP-CONTENT/);
    }
  });

  it('says how to build when there is no build', async () => {
    const res = await bare.inject({ url: '/console/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
  });
});
