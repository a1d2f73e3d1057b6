import type { BenchClient } from './bench-client.js';
import { encode, newHistogram } from './histogram.js';
import type { LoadTarget } from './load-target.js';
import { openIdle, setupSama } from './sama-driver.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { setupXmpp } from './xmpp-driver.js';

/**
 * A load-generator process: owns whole groups (all members of a group live in one process, so a
 * message's send time and its deliveries are measured on one clock), sets them up through a
 * protocol driver (SAMA or XMPP), then sends at a fixed open-loop rate and records send→ack and
 * send→deliver latency. The send timestamp travels in the message body (process.hrtime, ns).
 */

const send = (m: FromWorker): void => {
  process.send?.(m);
};

let target: LoadTarget | undefined;
/** Idle sockets accumulate across `idle` steps; they stay open until the process ends. */
const idleClients: BenchClient[] = [];
/** Client ids must differ between runs: Parley answers a repeated id as a retry, without delivery. */
let runNo = 0;

async function setup(m: Extract<ToWorker, { t: 'setup' }>): Promise<void> {
  target =
    m.target.protocol === 'sama'
      ? await setupSama(m.url, m.target.orgId, m.groups, m.groupSize, m.prefix, m.password, m.handler, m.nodeUrls)
      : await setupXmpp(m.url, m.target.domain, m.target.mucDomain, m.groups, m.groupSize, m.prefix, m.password);
  send({ t: 'ready', users: target.members, connections: target.members });
}

async function run(m: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  const t = target;
  if (!t) throw new Error('run before setup');
  const ack = newHistogram();
  const deliver = newHistogram();
  const deliverSame = newHistogram();
  const deliverCross = newHistogram();
  const sentAt = new Map<string, bigint>();
  let sent = 0;
  let acked = 0;
  let delivered = 0;
  let errors = 0;
  t.listen({
    ack(id, now) {
      const t0 = sentAt.get(id);
      if (t0 === undefined) return;
      sentAt.delete(id);
      ack.recordValue(Math.max(1, Number((now - t0) / 1000n)));
      acked++;
    },
    deliver(sentNs, now, route) {
      const us = Math.max(1, Number((now - sentNs) / 1000n));
      deliver.recordValue(us);
      if (route === 'same') deliverSame.recordValue(us);
      else if (route === 'cross') deliverCross.recordValue(us);
      delivered++;
    },
    error() {
      errors++;
    },
  });

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
        const member = next;
        next = (next + 1) % t.members;
        const id = `r${runNo}m${sent}`;
        const t0 = process.hrtime.bigint();
        sentAt.set(id, t0);
        t.send(member, id, t0);
        sent++;
      }
    }, 2);
  });
  const expectedDeliveries = sent * (t.groupSize - 1);
  const drainUntil = performance.now() + 10_000;
  while ((acked + errors < sent || delivered < expectedDeliveries) && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = process.cpuUsage(cpu0);
  send({ t: 'result', sent, acked, delivered, expectedDeliveries, errors, ack: encode(ack), deliver: encode(deliver), deliverSame: encode(deliverSame), deliverCross: encode(deliverCross), cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: performance.now() - start });
}

async function idle(m: Extract<ToWorker, { t: 'idle' }>): Promise<void> {
  const r = await openIdle(m.url, m.orgId, m.users, m.devicesPerUser, m.prefix, m.password);
  idleClients.push(...r.clients);
  send({ t: 'ready', users: r.users, connections: idleClients.length });
}

process.on('message', (m: ToWorker) => {
  const job = m.t === 'setup' ? setup(m) : m.t === 'run' ? run(m) : m.t === 'idle' ? idle(m) : Promise.resolve(process.exit(0));
  job.catch((err: unknown) => send({ t: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
