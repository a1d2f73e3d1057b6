import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The `baseline` of the benchmarks: a bare `ws` server that speaks just enough SAMA for the load
 * generator — it parses each frame, acks a message and forwards it to the other group members,
 * and stores nothing. Parley's throughput is reported as a ratio of this ceiling.
 */
const port = Number(process.argv[2] ?? 9101);
let ids = 0;
const newId = (): string => (++ids).toString(16).padStart(24, '0');
const users = new Map<string, WebSocket>();
const groups = new Map<string, string[]>();
const owner = new WeakMap<WebSocket, string>();

const http = createServer((req, res) => {
  if (req.url === '/readyz') return res.end('{"status":"ready"}');
  if (req.url === '/pid') return res.end(String(process.pid));
  if (req.url === '/admin/organization') return res.end(JSON.stringify({ organization: { _id: newId() } }));
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Record<string, any>;
    if (frame.message !== undefined) {
      const m = frame.message as { id: string; cid: string; body?: string };
      const from = owner.get(ws) ?? '';
      const now = Date.now();
      const t = Math.ceil(now / 1000);
      const _id = newId();
      ws.send(JSON.stringify({ ask: { mid: m.id, server_mid: _id, t, modified: null, bot_message: null } }));
      const out = JSON.stringify({ message: { _id, cid: m.cid, c_type: 'g', from, t, body: m.body, x: {}, created_at: new Date(now).toISOString(), updated_at: new Date(now).toISOString() } });
      for (const member of groups.get(m.cid) ?? []) if (member !== from) users.get(member)?.send(out);
      return;
    }
    const req = frame.request as Record<string, any>;
    const [name] = Object.keys(req).filter((k) => k !== 'id');
    const body = req[name as string] as Record<string, any>;
    let reply: Record<string, unknown>;
    if (name === 'user_create') reply = { user: { _id: (users.set(body.login, undefined as never), body.login), login: body.login } };
    else if (name === 'user_login') {
      users.set(body.login, ws);
      owner.set(ws, body.login);
      reply = { user: { _id: body.login }, token: 'baseline' };
    } else if (name === 'conversation_create') {
      const cid = newId();
      groups.set(cid, [owner.get(ws) ?? '', ...(body.participants as string[])]);
      reply = { conversation: { _id: cid } };
    } else reply = { success: true };
    ws.send(JSON.stringify({ response: { id: req.id, ...reply } }));
  });
});
http.listen(port, '127.0.0.1');
