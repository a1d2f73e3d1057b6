import { BenchClient, must, type Frame } from './bench-client.js';
import type { LoadTarget, RunSink } from './load-target.js';

/**
 * The SAMA side of the generator: creates users over the protocol, logs them in (one socket
 * each), makes one group conversation per group, and maps SAMA frames onto run events — an
 * `ask` is the ack of the sender's message, a `message` whose body is a number is a delivery.
 */

interface Member {
  client: BenchClient;
  cid: string;
  /** Index of the cluster node this member is signed in on (0 with one server). */
  node: number;
}

const BATCH = 32;

async function createUsers(url: string, orgId: string, prefix: string, password: string, count: number): Promise<{ login: string; id: string }[]> {
  const setup = await BenchClient.open(url);
  const out: { login: string; id: string }[] = [];
  for (let i = 0; i < count; i += BATCH) {
    const part = await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, async (_, j) => {
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

async function loginAll(url: string | ((i: number) => string), orgId: string, password: string, logins: readonly string[], deviceId: (i: number) => string): Promise<BenchClient[]> {
  const urlOf = typeof url === 'string' ? () => url : url;
  const clients: BenchClient[] = [];
  for (let i = 0; i < logins.length; i += BATCH) {
    const part = await Promise.all(
      logins.slice(i, i + BATCH).map(async (login, j) => {
        const c = await BenchClient.open(urlOf(i + j));
        must(await c.request('user_login', { organization_id: orgId, login, password, device_id: deviceId(i + j) }), 'user_login');
        return c;
      }),
    );
    clients.push(...part);
  }
  return clients;
}

/**
 * Sets up `groups` groups of `groupSize` users on a SAMA server, each with `handler` installed
 * when given. With `nodeUrls` (several nodes of one cluster) member k of group g signs in on node
 * (g + k) mod n, so a group spans the nodes, and each delivery is reported as same-node or
 * cross-node (the sender is known by the message's `from`).
 */
export async function setupSama(url: string, orgId: string, groups: number, groupSize: number, prefix: string, password: string, handler?: string, nodeUrls?: readonly string[]): Promise<LoadTarget> {
  const users = await createUsers(url, orgId, prefix, password, groups * groupSize);
  const nodes = nodeUrls && nodeUrls.length > 0 ? nodeUrls : undefined;
  const nodeOf = (i: number): number => (nodes ? (Math.floor(i / groupSize) + (i % groupSize)) % nodes.length : 0);
  const clients = await loginAll(nodes ? (i) => nodes[nodeOf(i)] as string : url, orgId, password, users.map((u) => u.login), () => 'bench');
  const members: Member[] = [];
  const nodeOfUser = new Map<string, number>(users.map((u, i) => [u.id, nodeOf(i)]));
  for (let g = 0; g < groups; g++) {
    const group = users.slice(g * groupSize, (g + 1) * groupSize);
    const owner = clients[g * groupSize] as BenchClient;
    const r = must(await owner.request('conversation_create', { type: 'g', name: `bench ${g}`, participants: group.slice(1).map((u) => u.id) }), 'conversation_create');
    const cid = r.conversation._id as string;
    if (handler !== undefined) must(await owner.request('conversation_handler_create', { cid, content: handler }), 'conversation_handler_create');
    for (let k = 0; k < groupSize; k++) members.push({ client: clients[g * groupSize + k] as BenchClient, cid, node: nodeOf(g * groupSize + k) });
  }
  return {
    members: members.length,
    groupSize,
    send(member, id, sentNs) {
      const m = members[member] as Member;
      m.client.sendRaw(`{"message":{"id":"${id}","cid":"${m.cid}","body":"${sentNs}"}}`);
    },
    listen(sink: RunSink) {
      const handler = (node: number) => (f: Frame): void => {
        const now = process.hrtime.bigint();
        if (f.ask !== undefined) sink.ack(f.ask.mid as string, now);
        else if (f.message !== undefined) {
          if (f.message.error !== undefined) return sink.error();
          const body = f.message.body as string | undefined;
          if (body === undefined || !/^\d+$/.test(body)) return;
          const from = nodes ? nodeOfUser.get(f.message.from as string) : undefined;
          sink.deliver(BigInt(body), now, from === undefined ? undefined : from === node ? 'same' : 'cross');
        } else if (f.response?.error !== undefined) sink.error();
      };
      for (const m of members) m.client.onFrame = handler(m.node);
    },
  };
}

/** Opens `devicesPerUser` idle authenticated sockets for each of `users` new users; returns them open. */
export async function openIdle(url: string, orgId: string, users: number, devicesPerUser: number, prefix: string, password: string): Promise<{ users: number; clients: BenchClient[] }> {
  const created = await createUsers(url, orgId, prefix, password, users);
  const logins = created.flatMap((u) => Array.from({ length: devicesPerUser }, () => u.login));
  const clients = await loginAll(url, orgId, password, logins, (i) => `dev${i % devicesPerUser}`);
  return { users: created.length, clients };
}
