import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy } from './address-policy.js';
import { guardedFetch, type FetchLimits } from './guarded-fetch.js';

describe('guarded FETCH', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  before(async () => {
    server = createServer((req, res) => {
      hits += 1;
      if (req.url === '/big') return res.end('z'.repeat(5000));
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000).unref();
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen-host': req.headers.host ?? '' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open: FetchLimits = { policy: new AddressPolicy('127.0.0.1'), timeoutMs: 1000, maxBytes: 1000 };
  const closed: FetchLimits = { ...open, policy: new AddressPolicy('') };

  it('reaches an allow-listed local server with method, headers and body', async () => {
    const r = await guardedFetch({ url: `http://127.0.0.1:${port}/api?q=1`, method: 'post', headers: { authorization: 'Bearer t' }, body: 'hi' }, open);
    assert.equal(r.ok, true);
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.text), { method: 'POST', url: '/api?q=1', body: 'hi', auth: 'Bearer t' });
  });

  it('refuses loopback, private, link-local and unspecified targets without connecting', async () => {
    const before = hits;
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://192.168.1.1/', 'http://172.16.0.1/', 'http://0.0.0.0/', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://0x7f.1/']) {
      const r = await guardedFetch({ url }, closed);
      assert.deepEqual([r.ok, r.status, r.text], [false, 500, ''], url);
      assert.match(r.error ?? '', /not allowed/, url);
    }
    assert.equal(hits, before);
  });

  it('checks every address a name resolves to, and connects to the checked one only', async () => {
    const rebinding = (host: string): Promise<{ address: string; family: number }[]> => Promise.resolve(host === 'mixed.example' ? [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const refused = await guardedFetch({ url: `http://mixed.example:${port}/` }, { ...open, policy: new AddressPolicy(''), resolve: rebinding });
    assert.match(refused.error ?? '', /127\.0\.0\.1 of mixed\.example is not allowed/);
    const loopbackName = await guardedFetch({ url: `http://evil.example:${port}/` }, { ...closed, resolve: rebinding });
    assert.match(loopbackName.error ?? '', /not allowed/);
    // The name is never resolved again by the socket: this one exists only in our resolver.
    const pinned = await guardedFetch({ url: `http://only-in-our-resolver.example:${port}/x` }, { ...open, resolve: rebinding });
    assert.equal(pinned.status, 201);
    assert.equal(pinned.headers['x-seen-host'], `only-in-our-resolver.example:${port}`);
  });

  it('refuses other schemes, caps the body, times out and does not follow redirects', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'data:text/plain,hi', 'not a url']) assert.equal((await guardedFetch({ url }, open)).ok, false, url);
    const big = await guardedFetch({ url: `http://127.0.0.1:${port}/big` }, open);
    assert.match(big.error ?? '', /larger than 1000 bytes/);
    const started = Date.now();
    const slow = await guardedFetch({ url: `http://127.0.0.1:${port}/slow` }, { ...open, timeoutMs: 200 });
    assert.match(slow.error ?? '', /no response within 200 ms/);
    assert.ok(Date.now() - started < 1000);
    const redirect = await guardedFetch({ url: `http://127.0.0.1:${port}/redirect` }, open);
    assert.deepEqual([redirect.ok, redirect.status, redirect.headers.location], [false, 302, 'http://169.254.169.254/latest/meta-data/']);
  });
});
