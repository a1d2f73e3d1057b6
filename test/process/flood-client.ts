/**
 * The pipelining client of hostile-clients.test.ts, run as its own process so the user whose
 * pings are timed does not share an event loop with it. Logs in as FLOOD_LOGIN (and PEER_LOGIN,
 * the reading recipient), sends COUNT mixed requests (message, message_list, ping) to CID in one
 * go, waits for every answer, and prints {start, end, answered, delivered} (epoch ms) as JSON.
 */
import { TestClient } from '../helpers/client.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const url = `ws://127.0.0.1:${env('PORT')}/`;
const count = Number(env('COUNT'));
const cid = env('CID');
/** The request id of a reply or an ack, from the frame's first bytes (replies are not parsed). */
const REPLY_ID = /^\{"(?:response":\{"id"|ask":\{"mid"):"(q\d+)"/;

async function login(login: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  const r = await c.request('user_login', { organization_id: 'default', login, password: env('PASSWORD'), device_id: 'flood' });
  if (typeof r.token !== 'string') throw new Error(`login failed: ${JSON.stringify(r)}`);
  c.ws.removeAllListeners('message');
  return c;
}

const flood = await login(env('FLOOD_LOGIN'));
const peer = await login(env('PEER_LOGIN'));
let delivered = 0;
peer.ws.on('message', () => (delivered += 1));
const answered = new Set<string>();
const all = new Promise<void>((resolve) => {
  flood.ws.on('message', (data: Buffer) => {
    const id = REPLY_ID.exec(data.subarray(0, 48).toString('latin1'))?.[1];
    if (id !== undefined) answered.add(id);
    if (answered.size === count) resolve();
  });
});
const start = Date.now();
for (let i = 0; i < count; i++) {
  const id = `q${String(i)}`;
  const kind = i % 3;
  const request = kind === 0 ? { message: { id, cid, body: `m${String(i)}` }, id } : kind === 1 ? { message_list: { cid, limit: 30 }, id } : { ping: {}, id };
  flood.ws.send(JSON.stringify({ request }));
}
let timer: NodeJS.Timeout | undefined;
await Promise.race([all, new Promise((r) => (timer = setTimeout(r, 25_000)))]);
clearTimeout(timer);
const end = Date.now();
process.stdout.write(`${JSON.stringify({ start, end, answered: answered.size, delivered })}\n`);
await flood.close();
await peer.close();
