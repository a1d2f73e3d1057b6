import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestClient, type Frame } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { ADMIN_KEY, TestServer, uniqueName } from '../helpers/server.js';
import { freePort, spawnScript, waitReady, type Proc } from '../process/helpers.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster scheduled-message tests: ${skip}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isMsg = (f: Frame): boolean => f.message !== undefined && f.message.error === undefined;

describe('scheduled messages on three nodes', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  before(async () => {
    // A short poll: every node looks for due rows often, so all three race for each one.
    cluster = await TestCluster.start(3, { SCHEDULED_MESSAGES_POLL_INTERVAL_MS: '50' });
  });
  after(() => cluster.stop());

  it('sends each one exactly once, whichever node takes it', async () => {
    const nodes = [cluster.node(0), cluster.node(1), cluster.node(2)];
    const [n1, , n3] = nodes;
    const org = await n1!.createOrg();
    const [a, b] = await Promise.all([n1!.createUser(org), n1!.createUser(org)]);
    const senders = await Promise.all(nodes.map((n, i) => n.loggedIn(a, `a${String(i)}`)));
    const cid = (await senders[0]!.request('conversation_create', { type: 'g', name: 'later', participants: [b._id] })).conversation._id as string;
    const cb = await n3!.loggedIn(b, 'b1');
    const seen = cb.recordMessages(a._id);
    const total = 30;
    const start = Date.now() + 1500;
    // Each node stores a third of them (and wakes for those); the others find them by polling.
    await Promise.all(Array.from({ length: total }, (_, i) => senders[i % 3]!.request('parley_message_schedule', { id: `k${String(i)}`, cid, body: `later ${String(i)}`, send_at: start + 20 * i })));
    const deadline = Date.now() + 15_000;
    while (seen.length < total && Date.now() < deadline) await sleep(50);
    await sleep(500);
    assert.equal(seen.length, total, 'every message arrived');
    assert.equal(new Set(seen).size, total, 'none twice');
    const listed = (await cb.request('message_list', { cid, limit: 100 })).messages as Frame[];
    assert.equal(listed.filter((m) => m.from === a._id).length, total);
    const rows = await Promise.all(Array.from({ length: total }, (_, i) => n1!.node.store.scheduledMessages.byClientId(org, a._id, `k${String(i)}`)));
    assert.deepEqual(rows.map((r) => r?.state), Array.from({ length: total }, () => 'sent'));
    assert.deepEqual(new Set(rows.map((r) => r?.server_mid)), new Set(seen));
    const claimers = new Set(rows.map((r) => r?.claimed_by));
    assert.ok(claimers.size >= 2, `sent by one node only: ${JSON.stringify([...claimers])}`);
    const sentBy = await Promise.all(nodes.map(async (n) => Number(/parley_scheduled_messages_total\{result="sent"\} (\d+)/.exec(await (await fetch(`${n.httpUrl}/metrics`)).text())?.[1] ?? 0)));
    assert.equal(sentBy.reduce((x, y) => x + y, 0), total, JSON.stringify(sentBy));
    for (const c of [...senders, cb]) await c.close();
  });
});

describe('a node killed with SIGKILL while it holds a scheduled message', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let proc: Proc | undefined;
  let dataDir: string;
  let db: pg.Client;
  // Handler runs are slow (see below): the timeout must outlast them.
  const env = { CONVERSATION_HANDLER_TIMEOUT_MS: '20000', SCHEDULED_MESSAGES_LEASE_MS: '3000', SCHEDULED_MESSAGES_POLL_INTERVAL_MS: '200' };
  before(async () => {
    // No in-process node yet: the doomed node is the only one that can claim the row.
    cluster = await TestCluster.start(0, env);
    dataDir = mkdtempSync(join(tmpdir(), 'parley-doomed-'));
    db = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    proc?.child.kill('SIGKILL');
    await db.end();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets another node send it after the lease, once', async () => {
    const port = await freePort();
    proc = spawnScript('src/main.ts', [], { ...cluster.env, NODE_ID: 'doomed', APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, HTTP_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn' });
    await waitReady(port, proc);
    const doomedUrl = `ws://127.0.0.1:${String(port)}/`;
    const res = await fetch(`http://127.0.0.1:${String(port)}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN_KEY }, body: JSON.stringify({ name: uniqueName('org') }) });
    const org = ((await res.json()) as { organization: { _id: string } }).organization._id;
    const login = async (name: string): Promise<{ id: string; client: TestClient }> => {
      const client = await TestClient.open(doomedUrl);
      const created = await client.request('user_create', { organization_id: org, login: name, password: 'secret-pass', email: `${name.toLowerCase()}@example.com` });
      assert.ok(created.user, JSON.stringify(created));
      const id = created.user._id as string;
      assert.ok((await client.request('user_login', { organization_id: org, login: name, password: 'secret-pass', device_id: 'd1' })).token);
      return { id, client };
    };
    const [aLogin, bLogin] = [uniqueName(), uniqueName()];
    const a = await login(aLogin);
    const b = await login(bLogin);
    const cid = (await a.client.request('conversation_create', { type: 'g', name: 'slow', participants: [b.id] })).conversation._id as string;
    // The conversation's handler takes 2 s per message: long enough to kill the node mid-send.
    const slow = 'const handler = async (m, u, accept) => { const until = Date.now() + 2000; while (Date.now() < until) {} return accept(); }; export default await handler(env.MESSAGE, env.USER, env.ACCEPT, env.RESOLVE, env.REJECT, env.FETCH);';
    assert.equal((await a.client.request('conversation_handler_create', { cid, content: slow })).success, true);
    assert.ok((await a.client.request('parley_message_schedule', { id: 'held', cid, body: 'survives its node', send_at: Date.now() + 500 })).scheduled_message);
    const row = async (): Promise<{ state: string; claimed_by: string | null; attempts: number; server_mid: string | null }> => {
      const r = await db.query<{ state: string; claimed_by: string | null; attempts: number; server_mid: string | null }>("select state, claimed_by, attempts, server_mid from scheduled_messages where client_id = 'held'");
      assert.ok(r.rows[0]);
      return r.rows[0];
    };
    for (let i = 0; i < 100 && (await row()).claimed_by === null; i++) await sleep(50);
    assert.deepEqual(await row(), { state: 'pending', claimed_by: 'doomed', attempts: 1, server_mid: null });
    await sleep(300);
    proc.child.kill('SIGKILL');
    await proc.exited;
    await Promise.all([a.client.close(), b.client.close()]);
    const stored = async (): Promise<number> => Number((await db.query<{ n: string }>("select count(*) as n from messages where cid = $1 and body = 'survives its node'", [cid])).rows[0]?.n);
    assert.equal(await stored(), 0, 'killed before the message was stored');
    // A node that starts now finds the row leased, waits for the lease to end, and sends it.
    const n1 = await TestServer.start({ ...cluster.env, NODE_ID: 'n1' });
    cluster.nodes.push(n1);
    const cb = await n1.client();
    assert.ok((await cb.request('user_login', { organization_id: org, login: bLogin, password: 'secret-pass', device_id: 'd1' })).token);
    const got = (await cb.next(isMsg, 15_000)).message as Frame;
    assert.equal(got.body, 'survives its node');
    assert.deepEqual(await cb.collect(isMsg, 500), []);
    assert.equal(await stored(), 1);
    assert.deepEqual(await row(), { state: 'sent', claimed_by: 'n1', attempts: 2, server_mid: got._id });
    await cb.close();
  });
});
