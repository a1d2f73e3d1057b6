import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { newIdAt } from '../src/protocol/ids.js';

/**
 * Fills one conversation with `total` messages through the store (group-committed inserts),
 * alternating between two senders, 1 ms apart from epoch ms 1_600_000_000_000.
 */
export async function seedHistory(o: { dataDir: string; databaseUrl: string | undefined; orgId: string; cid: string; from: [string, string]; total: number }): Promise<void> {
  const store = o.databaseUrl ? await openPostgresStore({ url: o.databaseUrl }) : await openSqliteStore({ dataDir: o.dataDir });
  const base = 1_600_000_000_000;
  const chunk = 20_000;
  for (let i = 0; i < o.total; i += chunk) {
    const n = Math.min(chunk, o.total - i);
    await Promise.all(
      Array.from({ length: n }, (_, j) => {
        const at = base + i + j;
        return store.messages.insert({ _id: newIdAt(at), organization_id: o.orgId, cid: o.cid, from: o.from[(i + j) % 2] as string, client_id: null, body: `history message ${i + j}`, attachments: null, x: null, replied_message_id: null, forwarded_message_id: null, encrypted_message_type: null, t: Math.ceil(at / 1000), created_at: at, updated_at: at });
      }),
    );
  }
  await store.close();
}
