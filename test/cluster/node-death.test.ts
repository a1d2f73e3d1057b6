import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { TestCluster, clusterUnavailable } from '../helpers/cluster.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { freePort, spawnScript, waitReady, type Proc } from '../process/helpers.js';

const skip = clusterUnavailable();
if (skip) console.log(`# skipping cluster node-death tests: ${skip}`);

describe('a node killed with SIGKILL', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let proc: Proc | undefined;
  let dataDir: string;
  before(async () => {
    cluster = await TestCluster.start(2);
    dataDir = mkdtempSync(join(tmpdir(), 'parley-doomed-'));
  });
  after(async () => {
    proc?.child.kill('SIGKILL');
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing it acknowledged; within 10 s its users are offline everywhere, pushes resume, and its clients catch up through another node', async () => {
    const n1 = cluster.node(0);
    const port = await freePort();
    proc = spawnScript('src/main.ts', [], { ...cluster.env, NODE_ID: 'doomed', APP_PORT: String(port), BIND_HOST: '127.0.0.1', DATA_DIR: dataDir, HTTP_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn' });
    await waitReady(port, proc);
    const org = await n1.createOrg();
    const [w, t, s] = await Promise.all([n1.createUser(org), n1.createUser(org), n1.createUser(org)]);
    const cw = await n1.loggedIn(w);
    await cw.request('user_last_activity_subscribe', { id: t._id });
    const doomedUrl = `ws://127.0.0.1:${String(port)}/`;
    const ct = await TestClient.open(doomedUrl);
    assert.ok((await ct.request('user_login', { organization_id: org, login: t.login, password: t.password, device_id: 't1' })).token);
    assert.equal((await cw.next((f) => f.last_activity?.[t._id] !== undefined, 3000)).last_activity[t._id], 0);
    // s sends through the doomed node: every acknowledged message must survive its death.
    const cs = await TestClient.open(doomedUrl);
    assert.ok((await cs.request('user_login', { organization_id: org, login: s.login, password: s.password, device_id: 's1' })).token);
    const cid = (await cs.request('conversation_create', { type: 'g', name: 'doomed', participants: [t._id, w._id] })).conversation._id as string;
    // w, on a surviving node, records every message it gets live.
    const seenByW = cw.recordMessages(s._id);
    // Under load: eight pipelines of sends through the doomed node, killed mid-stream.
    const acked: string[] = [];
    let killed = false;
    const pump = async (k: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        try {
          const r = await cs.request('message', { id: `m${String(k)}-${String(i)}`, cid, body: `through the doomed node ${String(k)}-${String(i)}` });
          if (r.ask?.server_mid) acked.push(r.ask.server_mid as string);
        } catch {
          return; // The node died with this send in flight: unacknowledged, may or may not be stored.
        }
      }
    };
    const pumps = Promise.all(Array.from({ length: 8 }, (_, k) => pump(k)));
    while (acked.length < 200) await new Promise((r) => setTimeout(r, 5));
    proc.child.kill('SIGKILL');
    killed = true;
    const killedAt = Date.now();
    await proc.exited;
    const off = await cw.next((f) => f.last_activity?.[t._id] !== undefined, 10_000);
    const seconds = (Date.now() - killedAt) / 1000;
    assert.ok(off.last_activity[t._id] > 0, 'watcher hears offline');
    assert.ok(seconds <= 10, `offline after ${String(seconds)} s`);
    assert.equal((await cw.request('online_list', { idsOnly: true })).users.includes(t._id), false);
    await pumps;
    // Everything the dead node stored is in PostgreSQL once, each acknowledged message among it;
    // w got every one of them live, in the stored order — those the node committed but never
    // announced were read back when the survivors saw it die.
    const stored = await n1.node.store.messages.range(org, cid, null, null, 10_000);
    const storedIds = stored.map((m) => m._id);
    assert.equal(new Set(stored.map((m) => m.client_id)).size, stored.length, 'a message stored twice');
    const storedSet = new Set(storedIds);
    for (const mid of acked) assert.ok(storedSet.has(mid), `acknowledged message ${mid} lost`);
    const deliveredBy = Date.now() + 10_000;
    while (seenByW.length < storedIds.length) {
      assert.ok(Date.now() < deliveredBy, `w got ${String(seenByW.length)} of ${String(storedIds.length)} stored messages live`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(seenByW, storedIds);
    // Pushes resume: t is offline everywhere now, so a message to t writes a push row.
    const pushesBefore = await n1.node.store.pushOutbox.count();
    await cw.request('message', { id: 'after', cid, body: 'after the death' });
    const until = Date.now() + 3000;
    while ((await n1.node.store.pushOutbox.count()) <= pushesBefore) {
      assert.ok(Date.now() < until, 'no push for the offline user');
      await new Promise((r) => setTimeout(r, 20));
    }
    // t reconnects through n2 and catches up from the history.
    const back = await cluster.node(1).loggedIn(t, 't1');
    const listed = (await back.request('message_list', { cid, limit: 30 })).messages as { _id: string; body: string }[];
    assert.equal(listed.length, new Set(listed.map((m) => m._id)).size, 'no duplicates');
    assert.ok(listed.some((m) => m.body === 'after the death'));
    assert.deepEqual(listed.map((m) => m._id).filter((id) => storedSet.has(id)).reverse(), storedIds.slice(-(listed.length - 1)));
    console.log(`# node death: watchers told after ${seconds.toFixed(1)} s; ${String(acked.length)} acknowledged of ${String(storedIds.length)} stored, all present and all delivered live once, in order`);
    for (const c of [cw, back]) await c.close();
  });
});
