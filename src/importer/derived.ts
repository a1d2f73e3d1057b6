import type { Row } from './tables.js';
import { marks, type ImportTarget, type TargetTx } from './target.js';

/**
 * Values Parley keeps up to date on every write, which an import must set too: a conversation's
 * participants_count, its updated_at (its newest message's created_at), and each participant's
 * read mark (the newest message they read, from SAMA's "read" statuses). They are gathered from
 * every record of the collection that is stored once the batch committed — inserted now or by an
 * earlier run — and written when the collection's last batch is in. So a run that was stopped
 * before that point leaves them to the next run, which reads the same records again; and a row
 * stored by an earlier run still counts. Every update moves a value only the way Parley would
 * (counts exact, times and read marks forward only), so running it twice changes nothing.
 */
export interface Deriver {
  /** A row of the collection that is stored. */
  add(row: Row): void;
  /** Writes what was gathered, in transactions of `UPDATES_PER_TX` rows. */
  finish(target: ImportTarget): Promise<void>;
}

const UPDATES_PER_TX = 1000;

async function inChunks<T>(target: ImportTarget, items: readonly T[], write: (tx: TargetTx, chunk: readonly T[]) => Promise<void>): Promise<void> {
  for (let at = 0; at < items.length; at += UPDATES_PER_TX) {
    const chunk = items.slice(at, at + UPDATES_PER_TX);
    await target.transaction((tx) => write(tx, chunk));
  }
}

/** participants_count of every conversation that has imported participants: counted from the rows, as ParticipantStore keeps it. */
export function participantCounts(): Deriver {
  const cids = new Set<string>();
  return {
    add: (row) => void cids.add(String(row.conversation_id)),
    finish: (target) =>
      inChunks(target, [...cids], (tx, chunk) =>
        target.dialect === 'postgres'
          ? tx.run('update conversations c set participants_count = (select count(*) from conversation_participants p where p.conversation_id = c.id) where c.id = any(cast(? as text[]))', [chunk])
          : tx.run(`update conversations set participants_count = (select count(*) from conversation_participants p where p.conversation_id = conversations.id) where id in (${marks(chunk.length)})`, chunk),
      ),
  };
}

/** Each conversation's updated_at moved up to its newest message's created_at, as MessageStore.insert does. */
export function conversationTimes(): Deriver {
  const newest = new Map<string, number>();
  return {
    add(row) {
      const cid = String(row.cid);
      const at = Number(row.created_at);
      if ((newest.get(cid) ?? -Infinity) < at) newest.set(cid, at);
    },
    finish: (target) =>
      inChunks(target, [...newest], async (tx, chunk) => {
        if (target.dialect === 'postgres') {
          await tx.run('update conversations c set updated_at = v.at from unnest(cast(? as text[]), cast(? as bigint[])) as v(id, at) where c.id = v.id and c.updated_at < v.at', [chunk.map(([cid]) => cid), chunk.map(([, at]) => at)]);
          return;
        }
        for (const [cid, at] of chunk) await tx.run('update conversations set updated_at = ? where id = ? and updated_at < ?', [at, cid, at]);
      }),
  };
}

/**
 * Read marks: SAMA works out a reader's unread count from their newest "read" status (messages
 * from others with a greater id), Parley from `last_read_message_id` on the participant row;
 * it is moved forward only, as ParticipantStore.markRead does.
 */
export function readMarks(): Deriver {
  const newest = new Map<string, string>();
  return {
    add(row) {
      if (row.status !== 'read') return;
      const key = `${String(row.cid)}|${String(row.user_id)}`;
      const mid = String(row.mid);
      const had = newest.get(key);
      if (had === undefined || had < mid) newest.set(key, mid);
    },
    finish: (target) =>
      inChunks(target, [...newest], async (tx, chunk) => {
        const rows = chunk.map(([key, mid]) => {
          const cut = key.indexOf('|');
          return [key.slice(0, cut), key.slice(cut + 1), mid] as const;
        });
        if (target.dialect === 'postgres') {
          await tx.run(
            'update conversation_participants p set last_read_message_id = v.mid from unnest(cast(? as text[]), cast(? as text[]), cast(? as text[])) as v(cid, uid, mid) where p.conversation_id = v.cid and p.user_id = v.uid and (p.last_read_message_id is null or p.last_read_message_id < v.mid)',
            [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
          );
          return;
        }
        for (const [cid, uid, mid] of rows) await tx.run('update conversation_participants set last_read_message_id = ? where conversation_id = ? and user_id = ? and (last_read_message_id is null or last_read_message_id < ?)', [mid, cid, uid, mid]);
      }),
  };
}
