import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `npx tsx bench/insert-cpu.ts [tree] [messages] [burst]`: process CPU per message for inserts
 * through the embedded store's `messages.insert` (main and writer threads), in bursts of `burst`
 * (default 30) so group commits stay small as at a few thousand messages per second, then one
 * search (which waits for any indexing still due). CPU time holds up on a busy machine where
 * latency does not; pass another checkout as `tree` to compare two versions (docs/benchmarks.md,
 * What indexing costs the message path), or two bursts to split the cost into a part per batch
 * and a part per message (docs/benchmarks.md, "What a batch costs").
 */
const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const total = Number(process.argv[3] ?? 60_000);
const burst = Number(process.argv[4] ?? 30);
const load = (p: string): Promise<Record<string, any>> => import(pathToFileURL(join(root, p)).href) as Promise<Record<string, any>>;
const { openSqliteStore } = await load('src/store/sqlite/index.ts');
const { newId, newIdAt } = await load('src/protocol/ids.ts');
const dir = mkdtempSync(join(tmpdir(), 'insert-cpu-'));
const store = await openSqliteStore({ dataDir: dir });
const orgId = newId() as string;
await store.organizations.insert({ _id: orgId, name: 'bench', now: 1 });
const convs: string[] = [];
for (let i = 0; i < 250; i++) {
  const c = await store.conversations.create({ _id: newId(), organization_id: orgId, type: 'g', name: 'g', description: null, owner_id: 'u', opponent_id: null, image_object: null, is_encrypted: false, created_at: 1 }, ['u', 'v', 'w', 'x'].map((user_id, n) => ({ user_id, role: n === 0 ? 'owner' : null })));
  convs.push(c._id as string);
}
const words = 'the a to and of in is it you that for on this with be are have was at not but so we my what just can do me like if all get no your out up about one now know there go how time when good see will'.split(' ');
let seed = 1;
const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
const bodies = Array.from({ length: 1000 }, () => Array.from({ length: 3 + Math.floor(rand() * 15) }, () => words[Math.floor(rand() * rand() * words.length)]).join(' '));
const base = Date.now();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < total; i += burst) {
  await Promise.all(
    Array.from({ length: Math.min(burst, total - i) }, (_, j) => {
      const at = base + i + j;
      return store.messages.insert({ _id: newIdAt(at), organization_id: orgId, cid: convs[(i + j) % convs.length], from: 'u', client_id: null, body: bodies[(i + j) % bodies.length], attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: Math.ceil(at / 1000), created_at: at, updated_at: at });
    }),
  );
}
// One search at the end: where indexing runs after the commit (migration 20) it waits for the
// rest of the index, so every version is charged for indexing all it stored.
await store.search.newestMatches(orgId, 'u', { phrases: [['the']], limit: 1 });
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
await store.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ root, messages: total, burst, wallMs: Math.round(wallMs), cpuUsPerMessage: Math.round(((cpu.user + cpu.system) / total) * 10) / 10 })}\n`);
