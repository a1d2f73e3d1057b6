import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ParleyClient } from '../../packages/client/src/index.js';
import { freePort, spawnScript, waitReady, type Proc } from '../process/helpers.js';
import { eventually, finishAndCheck, receive, stream, watchPair } from './stream-check.js';

const ADMIN = 'sdk-kill-admin';

/**
 * The server process killed with SIGKILL twice while a client streams messages, and started again
 * on the same data dir and port. The sender's unacknowledged messages are resent with their ids
 * after each restart; the recipient catches up on what it missed.
 */
describe('@parley/client across server crashes', () => {
  it('stores every message exactly once and hands every one to the recipient once, across two kill -9 and restarts', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-sdk-kill-'));
    const port = await freePort();
    const env = {
      APP_PORT: String(port),
      BIND_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HTTP_ADMIN_API_KEY: ADMIN,
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_PASSES: '1',
      MESSAGE_PRELOAD_COUNT: '1000',
    };
    let proc: Proc = spawnScript('src/main.ts', [], env);
    const clients: ParleyClient[] = [];
    try {
      await waitReady(port, proc);
      const org = ((await (await fetch(`http://127.0.0.1:${String(port)}/admin/organization`, { method: 'POST', headers: { 'content-type': 'application/json', 'admin-api-key': ADMIN }, body: '{"name":"sdk-kill"}' })).json()) as { organization: { _id: string } }).organization._id;
      const make = (deviceId: string): ParleyClient => {
        const c = new ParleyClient({ url: `ws://127.0.0.1:${String(port)}/`, WebSocket, organizationId: org, deviceId, storage: null, reconnect: { initialDelayMs: 100, maxDelayMs: 500 }, requestTimeoutMs: 10_000 });
        clients.push(c);
        return c;
      };
      const sender = make('kill-a');
      const recipient = make('kill-b');
      await sender.request('user_create', { organization_id: org, login: 'sender', password: 'pw-sdk', email: 's@sdk.io' });
      const b = (await recipient.request('user_create', { organization_id: org, login: 'reader', password: 'pw-sdk', email: 'r@sdk.io' })).user;
      await sender.login({ login: 'sender', password: 'pw-sdk' });
      await recipient.login({ login: 'reader', password: 'pw-sdk' });
      const cid = (await sender.request('conversation_create', { type: 'u', participants: [b._id] })).conversation._id;
      const got = receive(recipient, cid);
      const watch = watchPair(sender, recipient);

      const n = 300;
      let sent = 0;
      const unackedAtKill: number[] = [];
      let restarting: Promise<void> | undefined;
      const kill = async (): Promise<void> => {
        unackedAtKill.push(sender.pendingMessages.length);
        proc.child.kill('SIGKILL');
        assert.equal((await proc.exited).signal, 'SIGKILL');
        proc = spawnScript('src/main.ts', [], env);
        restarting = waitReady(port, proc);
      };
      const acks = await stream(sender, cid, n, 'crash', async () => {
        sent += 5;
        if (sent === 100) await kill();
        if (sent === 200) {
          // The second crash hits live sessions again.
          await restarting;
          await eventually(() => sender.state === 'ready' && recipient.state === 'ready', 20_000, 'both clients to resume');
          await kill();
        }
        await new Promise((r) => setTimeout(r, 10));
      });
      await restarting;
      await finishAndCheck(sender, cid, n, 'crash', acks, got, watch);
      assert.ok(unackedAtKill.some((k) => k > 0), `messages were in flight at a kill: ${String(unackedAtKill)}`);
      assert.deepEqual(watch.resumed, { sender: 2, recipient: 2 });
      console.log(`# crash stream: ${String(n)} messages, 2 kills with ${String(unackedAtKill)} unacknowledged; recipient got ${String(got.live)} live + ${String(got.catchup)} by catch-up`);
    } finally {
      for (const c of clients) c.close();
      proc.child.kill('SIGKILL');
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
