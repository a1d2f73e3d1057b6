import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, TestServer } from '../helpers/server.js';

describe('GET /admin/server-stats (one node)', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.stop());

  const stats = async (query = '', key = ADMIN_KEY): Promise<Response> => fetch(`${server.httpUrl}/admin/server-stats${query}`, { headers: { 'admin-api-key': key } });
  const json = async (query = ''): Promise<Record<string, unknown>> => {
    const res = await stats(query);
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, unknown>;
  };

  /** Polls until `check` holds for the stats (sockets close asynchronously), at most 3 s. */
  async function until(check: (s: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const s = await json();
      if (check(s) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('needs the admin key', async () => {
    for (const key of ['', 'wrong-key']) {
      const res = await stats('', key);
      assert.equal(res.status, 401);
      assert.match(String(res.headers.get('content-type')), /^text\/plain/);
      assert.equal(await res.text(), 'Unauthorized.');
    }
  });

  it("counts online users once however many devices, every open socket, and this node's uptime", async () => {
    const org = await server.createOrg();
    const [a, b] = await Promise.all([server.createUser(org), server.createUser(org)]);
    const sockets = [await server.loggedIn(a, 'laptop'), await server.loggedIn(a, 'phone'), await server.loggedIn(b), await server.client()];
    const s = await until((x) => x.online_users === 2 && x.connections === 4);
    assert.deepEqual(Object.keys(s).sort(), ['connections', 'node_id', 'nodes', 'online_users', 'uptime']);
    assert.equal(s.online_users, 2);
    assert.equal(s.connections, 4);
    assert.equal(s.nodes, 1);
    assert.equal(s.node_id, server.node.config.nodeId);
    assert.ok(typeof s.uptime === 'number' && s.uptime >= 0 && s.uptime < 600);
    // No minute has been counted whole since the start: SAMA leaves the figures out.
    assert.equal(s.messages_per_minute, undefined);
    assert.match(String((await json('?format=1')).uptime), /^(\d+d )?(\d+h )?(\d+m )?\d+s$/);
    for (const c of sockets) await c.close();
    const after = await until((x) => x.online_users === 0 && x.connections === 0);
    assert.deepEqual([after.online_users, after.connections], [0, 0]);
  });
});
