import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { TrustedProxies } from './client-address.js';

describe('trusted proxies', () => {
  it('ignores X-Forwarded-For unless the peer is a configured proxy', () => {
    const none = new TrustedProxies('');
    assert.equal(none.clientAddress('203.0.113.7', '198.51.100.1'), '203.0.113.7');
    const p = new TrustedProxies('10.0.0.0/8, 192.168.1.5, fd00::/8');
    assert.equal(p.clientAddress('203.0.113.7', '198.51.100.1'), '203.0.113.7', 'an untrusted peer cannot name an address');
    assert.equal(p.clientAddress('10.1.2.3', '198.51.100.1'), '198.51.100.1');
    assert.equal(p.clientAddress('::ffff:10.1.2.3', '198.51.100.1'), '198.51.100.1', 'IPv4-mapped peers count as IPv4');
    assert.equal(p.clientAddress('fd00::1', '2001:db8::9'), '2001:db8::9');
    assert.equal(p.clientAddress('10.1.2.3', undefined), '10.1.2.3');
  });

  it('takes the nearest untrusted hop, so a client cannot prepend a fake address', () => {
    const p = new TrustedProxies('10.0.0.0/8,192.168.1.5');
    // client wrote "1.1.1.1"; its real address 198.51.100.1 was appended by the outer proxy 192.168.1.5.
    assert.equal(p.clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.1, 192.168.1.5'), '198.51.100.1');
    assert.equal(p.clientAddress('10.0.0.2', ['1.1.1.1', '198.51.100.1']), '198.51.100.1');
    assert.equal(p.clientAddress('10.0.0.2', '10.0.0.9, 192.168.1.5'), '10.0.0.9', 'all hops trusted: the farthest one');
    assert.equal(p.clientAddress('10.0.0.2', '198.51.100.1, not-an-ip'), '10.0.0.2', 'a malformed hop ends the walk');
  });

  it('refuses bad entries', () => {
    assert.throws(() => new TrustedProxies('10.0.0.0/33'));
    assert.throws(() => new TrustedProxies('proxy.local'));
  });

  it('gives Fastify the same rule for req.ip', async () => {
    for (const [spec, expected] of [['127.0.0.1', '198.51.100.1'], ['', '127.0.0.1'], ['10.0.0.0/8', '127.0.0.1']] as const) {
      const app = Fastify({ trustProxy: new TrustedProxies(spec).fastifyTrust });
      app.get('/ip', (req) => ({ ip: req.ip }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const { port } = app.server.address() as { port: number };
        const res = await fetch(`http://127.0.0.1:${port}/ip`, { headers: { 'x-forwarded-for': '1.1.1.1, 198.51.100.1' } });
        assert.deepEqual(await res.json(), { ip: expected }, `TRUSTED_PROXIES=${spec}`);
      } finally {
        await app.close();
      }
    }
  });
});
