import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mergeEncoded, summarize } from './lib/histogram.js';
import { startProsody } from './lib/prosody.js';
import { setupTarget } from './lib/servers.js';
import { WorkerPool } from './lib/workers.js';
import { escapeXml, parseXml, unescapeXml } from './lib/xml.js';
import { findBinary } from './lib/xmpp-launch.js';

/** Why the Prosody smoke test cannot run here, or undefined; in CI a missing Prosody is an error. */
function prosodyUnavailable(): string | undefined {
  if (findBinary('prosody') !== undefined) return undefined;
  const reason = 'prosody not found; install the prosody package to run this test';
  if (process.env.CI) throw new Error(`${reason} (CI must run it)`);
  return reason;
}

describe('XMPP stanza parsing', () => {
  it('parses both quote styles, prefixes, entities, CDATA and skips comments', () => {
    const [el] = parseXml(`<stream:features xmlns:stream='http://etherx.jabber.org/streams'><!-- x --><m a = "1&amp;2" b='&#x41;&#66;&lt;'>t&apos;<![CDATA[<raw>]]><c/></m></stream:features>`);
    assert.equal(el?.name, 'stream:features');
    const m = el?.children[0];
    assert.deepEqual(m?.attrs, { a: '1&2', b: 'AB<' });
    assert.equal(m?.text, "t'<raw>");
    assert.equal(m?.children[0]?.name, 'c');
  });

  it('refuses malformed input instead of guessing', () => {
    for (const bad of ['<a>', '<a></b>', '<a x=1/>', '<a>&nope;</a>', '<a>x & y</a>']) assert.throws(() => parseXml(bad), Error, bad);
  });

  it('escapes what it unescapes', () => {
    const s = `<a href="x">'&'</a> é`;
    assert.equal(escapeXml(s), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt; é');
    assert.equal(unescapeXml(escapeXml(s)), s);
    assert.equal(parseXml(`<b>${escapeXml(s)}</b>`)[0]?.text, s);
  });
});

const skip = prosodyUnavailable();
if (skip) console.log(`# skipping the Prosody smoke test: ${skip}`);

describe('bench harness against a real XMPP server', { skip: skip ?? false }, () => {
  it('drives two generator processes against Prosody over XMPP and accounts for every message', async () => {
    const server = await startProsody();
    const pool = WorkerPool.start(2);
    try {
      const target = await setupTarget(server, 'smoke');
      const ready = await pool.setup((i) => ({ t: 'setup', url: server.wsUrl, target, groups: 2, groupSize: 4, prefix: `s${i}x`, password: 'pw-smoke' }));
      assert.deepEqual(ready.map((r) => r.connections), [8, 8]);
      const parts = await pool.run(200, 1000);
      const sent = parts.reduce((a, p) => a + p.sent, 0);
      assert.ok(sent >= 180 && sent <= 200, `sent ${sent} at 200/s for 1 s`);
      assert.equal(parts.reduce((a, p) => a + p.errors, 0), 0);
      assert.equal(parts.reduce((a, p) => a + p.acked, 0), sent);
      assert.equal(parts.reduce((a, p) => a + p.delivered, 0), sent * 3);
      const ack = summarize(mergeEncoded(parts.map((p) => p.ack)));
      const deliver = summarize(mergeEncoded(parts.map((p) => p.deliver)));
      assert.equal(ack.count, sent);
      assert.equal(deliver.count, sent * 3);
      assert.ok(deliver.p50 > 0 && deliver.p50 < 1000, `p50 send→deliver ${deliver.p50} ms`);
    } finally {
      pool.stop();
      await server.stop();
    }
    // stop() ends the server process itself and removes its data dir
    assert.throws(() => process.kill(server.pid, 0), /ESRCH/);
    assert.equal(existsSync(server.dataDir as string), false);
  });
});
