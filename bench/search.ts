import { newId, newIdAt } from '../src/protocol/ids.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/store.js';
import { TestPostgres } from '../test/helpers/postgres.js';
import { BenchClient, must, type Frame } from './lib/bench-client.js';
import { newHistogram, summarize, type LatencySummary } from './lib/histogram.js';
import { createOrg, startParley } from './lib/servers.js';
import { prng } from '../test/helpers/prng.js';

/** What `npm run bench -- search` fills and asks (defaults: docs/benchmarks.md, Full-text search). */
export interface SearchBenchOptions {
  readonly store: 'sqlite' | 'postgres';
  /** Messages stored (`--messages`, default 10^6). */
  readonly messages?: number;
  /** Distinct members (`--users`, default 2,000); each conversation has 20 of them. */
  readonly users?: number;
  readonly serverEnv: Readonly<Record<string, string>>;
}

const FAST_HASH = { PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' };
const PASSWORD = 'bench-password';
const MEMBERS_PER_CONVERSATION = 20;
const MESSAGES_PER_CONVERSATION = 100;
/** Members who log in and search; each is in about users × 20 / conversations conversations (100 by default). */
const SEARCHERS = 10;
const VOCABULARY = 30_000;
const QUERIES_PER_KIND = 400;


/** Pronounceable made-up words, rank 0 the most frequent. */
export function vocabulary(rand: () => number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 've', 'du', 'ga', 'hi', 'jo', 'ze', 'fa', 'bu', 'ni', 'ro', 'se', 'ly'];
  const out = new Set<string>();
  while (out.size < VOCABULARY) {
    const n = 1 + Math.floor(rand() * 4);
    out.add(Array.from({ length: n }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
  }
  return [...out];
}

/** Draws word ranks with Zipf's law (s = 1), as word frequencies in natural text roughly follow. */
function zipf(n: number, rand: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cumulative[r] = sum += 1 / (r + 1);
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The bodies' text: 3 to 30 Zipf-drawn words. */
function bodyMaker(words: readonly string[], rand: () => number): () => string {
  const rank = zipf(words.length, rand);
  return () => Array.from({ length: 3 + Math.floor(rand() * 28) }, () => words[rank()]).join(' ');
}

/**
 * Fills the store: conversations of 20 members drawn from `memberIds` (the searchers among them),
 * 100 messages each, 1% of them sent with one member in deleted_for. Returns each searcher's
 * conversations.
 */
export async function fill(store: Store, orgId: string, memberIds: readonly string[], searchers: readonly string[], total: number, rand: () => number, words: readonly string[]): Promise<Map<string, string[]>> {
  const conversations = Math.ceil(total / MESSAGES_PER_CONVERSATION);
  const body = bodyMaker(words, rand);
  const mine = new Map<string, string[]>(searchers.map((s) => [s, []]));
  const base = 1_600_000_000_000;
  let sent = 0;
  for (let c = 0; c < conversations; c += 100) {
    const batch = Math.min(100, conversations - c);
    const created = await Promise.all(
      Array.from({ length: batch }, async () => {
        const members = new Set<string>();
        while (members.size < MEMBERS_PER_CONVERSATION) members.add(memberIds[Math.floor(rand() * memberIds.length)] as string);
        const list = [...members];
        const conv = await store.conversations.create(
          { _id: newId(), organization_id: orgId, type: 'g', name: 'bench', description: null, owner_id: list[0] as string, opponent_id: null, image_object: null, is_encrypted: false, created_at: base },
          list.map((u, n) => ({ user_id: u, role: n === 0 ? 'owner' : null })),
        );
        for (const u of list) mine.get(u)?.push(conv._id);
        return { cid: conv._id, members: list };
      }),
    );
    // Messages interleaved across the batch's conversations, as live traffic would be.
    const inserts: Promise<unknown>[] = [];
    for (let m = 0; m < MESSAGES_PER_CONVERSATION; m++) {
      for (const { cid, members } of created) {
        if (sent >= total) break;
        const at = base + sent++;
        const from = members[Math.floor(rand() * members.length)] as string;
        const hidden = rand() < 0.01 ? [members[Math.floor(rand() * members.length)] as string] : [];
        inserts.push(store.messages.insert({ _id: newIdAt(at), organization_id: orgId, cid, from, client_id: null, body: body(), attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: Math.ceil(at / 1000), created_at: at, updated_at: at }, hidden));
      }
    }
    await Promise.all(inserts);
  }
  return mine;
}

/** One kind of query of the mix. */
interface QueryKind {
  readonly name: string;
  body(searcher: number): Record<string, unknown>;
  /** Follow the cursor this many times and time the last page (paging). */
  readonly pages?: number;
}

/**
 * `npm run bench -- search`: full-text search latency (parley_message_search over the WebSocket,
 * one request at a time) over `messages` stored messages. Fills the store directly (sending a
 * million messages would measure sending), restarts Parley on it, warms up, then runs each kind
 * of query QUERIES_PER_KIND times across the searchers.
 */
export async function searchScenario(o: SearchBenchOptions): Promise<unknown> {
  const total = o.messages ?? 1_000_000;
  const userCount = o.users ?? 2_000;
  const pg = o.store === 'postgres' ? await TestPostgres.start() : undefined;
  try {
    const url = pg ? await pg.createDatabase() : undefined;
    const env: Record<string, string> = { ...FAST_HASH, ...o.serverEnv, ...(url ? { DATABASE_URL: url } : {}) };
    let server = await startParley(env);
    const dataDir = server.dataDir as string;
    const orgId = await createOrg(server, `bench-${Date.now()}`);
    const setup = await BenchClient.open(server.wsUrl);
    const searchers: string[] = [];
    for (let i = 0; i < SEARCHERS; i++) searchers.push(must(await setup.request('user_create', { organization_id: orgId, login: `finder${i}`, password: PASSWORD, email: `finder${i}@bench.local` }), 'user_create').user._id as string);
    setup.close();
    await server.stop(true);

    const rand = prng(20261207);
    const words = vocabulary(rand);
    const members = [...searchers, ...Array.from({ length: userCount - SEARCHERS }, () => newId())];
    const store = url ? await openPostgresStore({ url }) : await openSqliteStore({ dataDir });
    const fillStart = performance.now();
    const mine = await fill(store, orgId, members, searchers, total, rand, words);
    const fillSec = (performance.now() - fillStart) / 1000;
    await store.close();

    server = await startParley(env, dataDir);
    try {
      const clients: BenchClient[] = [];
      for (let i = 0; i < SEARCHERS; i++) {
        const c = await BenchClient.open(server.wsUrl);
        must(await c.request('user_login', { organization_id: orgId, login: `finder${i}`, password: PASSWORD, device_id: 'bench' }), 'user_login');
        clients.push(c);
      }
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
      const cidOf = (s: number): string => pick(mine.get(searchers[s] as string) ?? []);
      const common = (): string => words[Math.floor(rand() * 5)] as string;
      const middling = (): string => words[50 + Math.floor(rand() * 450)] as string;
      const rare = (): string => words[5_000 + Math.floor(rand() * 15_000)] as string;
      const kinds: QueryKind[] = [
        { name: 'one conversation, common word', body: (s) => ({ query: common(), cid: cidOf(s) }) },
        { name: 'one conversation, rare word', body: (s) => ({ query: rare(), cid: cidOf(s) }) },
        { name: 'all conversations, common word', body: () => ({ query: common() }) },
        { name: 'all conversations, middling word', body: () => ({ query: middling() }) },
        { name: 'all conversations, rare word', body: () => ({ query: rare() }) },
        { name: 'all conversations, two words', body: () => ({ query: `${common()} ${middling()}` }) },
        { name: 'all conversations, common word, third page', body: () => ({ query: common() }), pages: 2 },
      ];
      const run = async (kind: QueryKind, s: number): Promise<{ us: number; hits: number }> => {
        const c = clients[s] as BenchClient;
        let body = kind.body(s);
        for (let p = 0; p < (kind.pages ?? 0); p++) {
          const r = must(await c.request('parley_message_search', body), 'search');
          if (typeof r.cursor !== 'string') break;
          body = { ...body, cursor: r.cursor };
        }
        const t0 = process.hrtime.bigint();
        const r: Frame = must(await c.request('parley_message_search', body), 'search');
        return { us: Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n)), hits: (r.hits as unknown[]).length };
      };
      for (let i = 0; i < 200; i++) await run(kinds[i % kinds.length] as QueryKind, i % SEARCHERS);
      const all = newHistogram();
      const results: Record<string, LatencySummary & { meanHits: number }> = {};
      for (const kind of kinds) {
        const h = newHistogram();
        let hits = 0;
        for (let i = 0; i < QUERIES_PER_KIND; i++) {
          const r = await run(kind, i % SEARCHERS);
          h.recordValue(r.us);
          all.recordValue(r.us);
          hits += r.hits;
        }
        results[kind.name] = { ...summarize(h), meanHits: Math.round((hits / QUERIES_PER_KIND) * 10) / 10 };
      }
      for (const c of clients) c.close();
      const conversationsPerSearcher = searchers.map((s) => mine.get(s)?.length ?? 0);
      return {
        messages: total,
        conversations: Math.ceil(total / MESSAGES_PER_CONVERSATION),
        members: userCount,
        conversationsPerSearcher: { min: Math.min(...conversationsPerSearcher), max: Math.max(...conversationsPerSearcher) },
        fillSec: Math.round(fillSec),
        all: summarize(all),
        byKind: results,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await pg?.stop();
  }
}
