import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { ADMIN_KEY, TestServer, uniqueName } from '../helpers/server.js';

// The JSON admin API the web console calls (src/transport/routes/admin-console-*.ts,
// admin-overview.ts), against a real server.

/** The close code and reason of a socket, when it closes. */
function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

interface Answer {
  status: number;
  type: string;
  body: any;
}

describe('console admin API', () => {
  let server: TestServer;
  let orgId = '';
  let otherOrgId = '';

  const call = async (method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (key !== null) headers['admin-api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text === '' ? undefined : JSON.parse(text) };
  };

  before(async () => {
    server = await TestServer.start();
    orgId = await server.createOrg();
    otherOrgId = await server.createOrg();
  });
  after(() => server.stop());

  it('refuses every route without the admin key, or with a wrong one, as JSON', async () => {
    const routes: [string, string][] = [
      ['GET', '/admin/organizations'],
      ['GET', `/admin/organizations/${orgId}/users`],
      ['POST', `/admin/organizations/${orgId}/users`],
      ['POST', `/admin/organizations/${orgId}/users/000000000000000000000000/password`],
      ['POST', `/admin/organizations/${orgId}/users/000000000000000000000000/revoke`],
      ['DELETE', `/admin/organizations/${orgId}/users/000000000000000000000000`],
      ['GET', `/admin/organizations/${orgId}/users/000000000000000000000000/conversations`],
      ['GET', '/admin/push-outbox'],
      ['GET', '/admin/overview'],
    ];
    for (const [method, path] of routes) {
      for (const key of [null, 'wrong-key', `${ADMIN_KEY}x`]) {
        const r = await call(method, path, method === 'POST' ? { login: 'nobody-here' } : undefined, key);
        assert.equal(r.status, 401, `${method} ${path} with key ${String(key)}`);
        assert.match(r.type, /application\/json/);
        assert.equal(r.body.error.status, 401);
      }
    }
    const listed = await call('GET', `/admin/organizations/${orgId}/users`);
    assert.ok(!listed.body.users.some((u: any) => u.login === 'nobody-here'), 'nothing was created without the key');
  });

  it('lists organizations with user counts, and users of one organization, searchable', async () => {
    const alice = await server.createUser(orgId, { login: uniqueName('alice') });
    await server.createUser(orgId);
    const orgs = await call('GET', '/admin/organizations?limit=200');
    assert.equal(orgs.status, 200);
    const mine = orgs.body.organizations.find((o: any) => o._id === orgId);
    assert.equal(mine.users, 2);
    const users = await call('GET', `/admin/organizations/${orgId}/users`);
    assert.equal(users.body.users.length, 2);
    const found = await call('GET', `/admin/organizations/${orgId}/users?q=${encodeURIComponent(alice.login.slice(0, 8))}`);
    assert.deepEqual(found.body.users.map((u: any) => u._id), [alice._id]);
    const elsewhere = await call('GET', `/admin/organizations/${otherOrgId}/users?q=${encodeURIComponent(alice.login)}`);
    assert.deepEqual(elsewhere.body.users, [], 'search stays inside the organization');
  });

  it('answers bad input with a 4xx JSON error', async () => {
    const cases: [string, string, unknown, number][] = [
      ['GET', '/admin/organizations?limit=0', undefined, 400],
      ['GET', '/admin/organizations?limit=abc', undefined, 400],
      ['GET', '/admin/organizations/nope/users', undefined, 404],
      ['POST', `/admin/organizations/${orgId}/users`, {}, 400],
      ['POST', `/admin/organizations/${orgId}/users`, { login: 42 }, 400],
      ['POST', `/admin/organizations/${orgId}/users`, { login: 'ab' }, 422],
      ['POST', `/admin/organizations/${orgId}/users`, { login: uniqueName(), password: 'x' }, 422],
      ['POST', `/admin/organizations/${orgId}/users/000000000000000000000000/revoke`, {}, 404],
      ['GET', '/admin/push-outbox?state=lost', undefined, 400],
      ['GET', '/admin/push-outbox?orgId=nope', undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal(r.body.error.status, status);
      assert.equal(typeof r.body.error.message, 'string');
    }
    const bad = await fetch(`${server.httpUrl}/admin/organizations/${orgId}/users`, { method: 'POST', headers: { 'admin-api-key': ADMIN_KEY, 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(bad.status, 400);
  });

  it('creates a user who can log in, resets the password, revokes sessions, deletes', async () => {
    const login = uniqueName('carol');
    const created = await call('POST', `/admin/organizations/${orgId}/users`, { login, email: `${login}@example.com` });
    assert.equal(created.status, 201);
    const password = created.body.password as string;
    assert.equal(password.length, 20, 'a generated password is returned once');
    const carol = { _id: created.body.user._id as string, login, password, orgId, user: created.body.user };
    const dup = await call('POST', `/admin/organizations/${orgId}/users`, { login, password: 'secret-pass' });
    assert.equal(dup.status, 422);

    const socket = await server.loggedIn(carol);
    const closed = closeOf(socket.ws);
    const reset = await call('POST', `/admin/organizations/${orgId}/users/${carol._id}/password`, { password: 'new-secret' });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.online, true);
    assert.equal((await closed).code, 4002, 'the open socket is closed');
    await assert.rejects(server.loggedIn(carol), 'the old password no longer works');
    const again = await server.loggedIn({ ...carol, password: 'new-secret' });
    const closedAgain = closeOf(again.ws);
    const revoked = await call('POST', `/admin/organizations/${orgId}/users/${carol._id}/revoke`, {});
    assert.equal(revoked.status, 200);
    assert.equal((await closedAgain).code, 4002);

    const deleted = await call('DELETE', `/admin/organizations/${orgId}/users/${carol._id}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, true);
    assert.equal(deleted.body.removed.users, 1);
    const gone = await call('POST', `/admin/organizations/${orgId}/users/${carol._id}/revoke`, {});
    assert.equal(gone.status, 404);
  });

  it('refuses user ids of another organization', async () => {
    const stranger = await server.createUser(otherOrgId);
    for (const [method, suffix] of [['POST', '/password'], ['POST', '/revoke'], ['DELETE', ''], ['GET', '/conversations']] as const) {
      const r = await call(method, `/admin/organizations/${orgId}/users/${stranger._id}${suffix}`, method === 'POST' ? {} : undefined);
      assert.equal(r.status, 404, `${method} ${suffix}`);
    }
    const still = await server.loggedIn(stranger);
    await still.close();
  });

  it('lists the conversations of a user, and the push outbox', async () => {
    const a = await server.createUser(orgId);
    const b = await server.createUser(orgId);
    const client = await server.loggedIn(a);
    const made = await client.request('conversation_create', { type: 'g', name: 'console-test-group', participants: [b._id] });
    await client.close();
    const convs = await call('GET', `/admin/organizations/${orgId}/users/${b._id}/conversations`);
    assert.equal(convs.status, 200);
    assert.deepEqual(convs.body.conversations.map((c: any) => c._id), [made.conversation._id]);
    assert.equal(convs.body.conversations[0].name, 'console-test-group');
    const outbox = await call('GET', `/admin/push-outbox?orgId=${orgId}`);
    assert.equal(outbox.status, 200);
    assert.equal(typeof outbox.body.stats.total, 'number');
    assert.ok(Array.isArray(outbox.body.pushes));
  });

  it('gives a live overview whose message count moves', async () => {
    const first = await call('GET', '/admin/overview');
    assert.equal(first.status, 200);
    assert.equal(first.body.health.store.status, 'ok');
    assert.equal(first.body.health.redis.status, 'unused');
    assert.equal(first.body.nodes.length, 1);
    const a = await server.createUser(orgId);
    const b = await server.createUser(orgId);
    const client = await server.loggedIn(a);
    const { conversation } = await client.request('conversation_create', { type: 'u', participants: [b._id] });
    for (let i = 0; i < 5; i += 1) await client.request('message', { id: `m${String(i)}`, cid: conversation._id, body: `hi ${String(i)}` });
    const second = await call('GET', '/admin/overview');
    await client.close();
    assert.equal(second.body.messages_total - first.body.messages_total, 5);
    assert.ok(second.body.online_users >= 1);
    assert.ok(typeof second.body.latency.p50 === 'number' && typeof second.body.latency.p99 === 'number');
    assert.ok(second.body.latency.p99 >= second.body.latency.p50);
  });
});
