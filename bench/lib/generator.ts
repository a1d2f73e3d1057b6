import { BenchClient, must, type Frame } from './bench-client.js';
import { encode, newHistogram } from './histogram.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/**
 * A load-generator process: owns whole groups (all members of a group live in one process, so a
 * message's send time and its deliveries are measured on one clock), creates its users over the
 * protocol, then sends at a fixed open-loop rate and records send→ack and send→deliver latency.
 * The send timestamp travels in the message body (process.hrtime, nanoseconds).
 */

interface Member {
  client: BenchClient;
  cid: string;
}

const send = (m: FromWorker): void => {
  process.send?.(m);
};

let members: Member[] = [];
let groupSize = 0;
/** Client ids must differ between runs: Parley answers a repeated id as a retry, without delivery. */
let runNo = 0;

async function createUsers(url: string, orgId: string, prefix: string, password: string, count: number): Promise<{ login: string; id: string }[]> {
  const setup = await BenchClient.open(url);
  const out: { login: string; id: string }[] = [];
  const batch = 32;
  for (let i = 0; i < count; i += batch) {
    const part = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
        const login = `${prefix}u${i + j}`;
        const r = must(await setup.request('user_create', { organization_id: orgId, login, password, email: `${login}@bench.local` }), 'user_create');
        return { login, id: r.user._id as string };
      }),
    );
    out.push(...part);
  }
  setup.close();
  return out;
}

async function loginAll(url: string, orgId: string, password: string, logins: readonly string[], deviceId: (i: number) => string): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  const batch = 32;
  for (let i = 0; i < logins.length; i += batch) {
    const part = await Promise.all(
      logins.slice(i, i + batch).map(async (login, j) => {
        const c = await BenchClient.open(url);
        must(await c.request('user_login', { organization_id: orgId, login, password, device_id: deviceId(i + j) }), 'user_login');
        return c;
      }),
    );
    clients.push(...part);
  }
  return clients;
}

async function setup(m: Extract<ToWorker, { t: 'setup' }>): Promise<void> {
  groupSize = m.groupSize;
  const users = await createUsers(m.url, m.orgId, m.prefix, m.password, m.groups * m.groupSize);
  const clients = await loginAll(m.url, m.orgId, m.password, users.map((u) => u.login), () => 'bench');
  members = [];
  for (let g = 0; g < m.groups; g++) {
    const group = users.slice(g * m.groupSize, (g + 1) * m.groupSize);
    const owner = clients[g * m.groupSize] as BenchClient;
    const r = must(await owner.request('conversation_create', { type: 'g', name: `bench ${g}`, participants: group.slice(1).map((u) => u.id) }), 'conversation_create');
    const cid = r.conversation._id as string;
    for (let k = 0; k < m.groupSize; k++) members.push({ client: clients[g * m.groupSize + k] as BenchClient, cid });
  }
  send({ t: 'ready', users: users.length, connections: clients.length });
}

async function run(m: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  const ack = newHistogram();
  const deliver = newHistogram();
  const sentAt = new Map<string, bigint>();
  let sent = 0;
  let acked = 0;
  let delivered = 0;
  let errors = 0;
  const onFrame = (f: Frame): void => {
    const now = process.hrtime.bigint();
    if (f.ask !== undefined) {
      const t0 = sentAt.get(f.ask.mid as string);
      if (t0 !== undefined) {
        sentAt.delete(f.ask.mid as string);
        ack.recordValue(Math.max(1, Number((now - t0) / 1000n)));
        acked++;
      }
    } else if (f.message !== undefined) {
      if (f.message.error !== undefined) {
        errors++;
        return;
      }
      const body = f.message.body as string | undefined;
      if (body !== undefined && /^\d+$/.test(body)) {
        deliver.recordValue(Math.max(1, Number((now - BigInt(body)) / 1000n)));
        delivered++;
      }
    } else if (f.response?.error !== undefined) errors++;
  };
  for (const mem of members) mem.client.onFrame = onFrame;

  runNo += 1;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= m.durationMs) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor((m.ratePerSec * elapsed) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        const mem = members[next] as Member;
        next = (next + 1) % members.length;
        const id = `r${runNo}m${sent}`;
        const t0 = process.hrtime.bigint();
        sentAt.set(id, t0);
        mem.client.sendRaw(`{"message":{"id":"${id}","cid":"${mem.cid}","body":"${t0}"}}`);
        sent++;
      }
    }, 2);
  });
  const expectedDeliveries = sent * (groupSize - 1);
  const drainUntil = performance.now() + 10_000;
  while ((acked + errors < sent || delivered < expectedDeliveries) && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = process.cpuUsage(cpu0);
  send({ t: 'result', sent, acked, delivered, expectedDeliveries, errors, ack: encode(ack), deliver: encode(deliver), cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: performance.now() - start });
}

async function idle(m: Extract<ToWorker, { t: 'idle' }>): Promise<void> {
  const users = await createUsers(m.url, m.orgId, m.prefix, m.password, m.users);
  const logins = users.flatMap((u) => Array.from({ length: m.devicesPerUser }, () => u.login));
  const clients = await loginAll(m.url, m.orgId, m.password, logins, (i) => `dev${i % m.devicesPerUser}`);
  // Idle connections accumulate across steps; they stay open until the process ends.
  members.push(...clients.map((client) => ({ client, cid: '' })));
  send({ t: 'ready', users: users.length, connections: members.length });
}

process.on('message', (m: ToWorker) => {
  const job = m.t === 'setup' ? setup(m) : m.t === 'run' ? run(m) : m.t === 'idle' ? idle(m) : Promise.resolve(process.exit(0));
  job.catch((err: unknown) => send({ t: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) }));
});
