import { ParleyError } from './errors.js';
import type { EventName, Message, PacketName, Replies, Requests } from './protocol.js';
import { EVENT_NAMES } from './protocol.js';

/** What the catch-up needs from the client. */
export interface CatchUpDeps {
  request<K extends PacketName>(name: K, body: Requests[K]): Promise<Replies[K]>;
  /** Hands an event on (deduplicated by the client); true when it was new. */
  deliver(name: EventName, body: unknown, raw: string | undefined): boolean;
  /** Conversations to read even if `conversation_list` does not name them (recently active ones). */
  tracked(): readonly string[];
}

/** Most op-log or message pages read per conversation in one catch-up (a bound, not an expectation). */
const MAX_PAGES = 200;

const isEvent = (name: string): name is EventName => (EVENT_NAMES as readonly string[]).includes(name);

/**
 * Reads what the client may have missed since `since` (server time, ms) and hands it to
 * `deliver`, oldest first within each source:
 *
 * 1. the operations log (protocol.md §6) — every packet stored for this user while no device of
 *    theirs was connected: messages, read receipts, conversation events;
 * 2. the messages created since then (`message_list` with `updated_at.gt`) of each conversation
 *    changed since then: the newest page `conversation_list` with `updated_at.gt` gives, and those
 *    of the recently active conversations (`tracked`) it shows changed when asked by id. This
 *    finds messages that were sent to a socket that was already dead, and messages whose delivery
 *    a server crash cut short — neither is in the operations log. (A conversation beyond that page
 *    and not recently active on this client is not read.)
 *
 * Overlap between the two, and with live delivery, is expected: the client drops what it has
 * already handed on. Returns how many new events were handed on.
 */
export async function catchUp(deps: CatchUpDeps, since: number): Promise<number> {
  let delivered = 0;
  // 1. The operations log, 100 rows a page, paged by creation time. A page boundary may split rows
  // of one millisecond: the next page starts a millisecond early and the repeats are dropped.
  let gt = since;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { logs } = await deps.request('op_log_list', { created_at: { gt } });
    let last = gt;
    for (const row of logs) {
      last = Math.max(last, Date.parse(row.created_at));
      let packet: unknown;
      try {
        packet = JSON.parse(row.packet);
      } catch {
        continue;
      }
      if (typeof packet !== 'object' || packet === null) continue;
      const [name] = Object.keys(packet);
      if (name === undefined || !isEvent(name)) continue;
      if (deps.deliver(name, (packet as Record<string, unknown>)[name], row.packet)) delivered++;
    }
    if (logs.length < 100) break;
    gt = last - 1 > gt ? last - 1 : last;
  }
  // 2. Messages of the conversations changed since then (a message moves its conversation's
  // updated_at): the newest page of them, and which of the recently active ones changed.
  const changed = new Set((await deps.request('conversation_list', { updated_at: { gt: since } })).conversations.map((c) => c._id));
  const others = deps.tracked().filter((cid) => !changed.has(cid));
  for (let i = 0; i < others.length; i += 10) {
    const { conversations } = await deps.request('conversation_list', { ids: others.slice(i, i + 10), updated_at: { gt: since } });
    for (const c of conversations) changed.add(c._id);
  }
  for (const cid of changed) {
    try {
      delivered += await missedMessages(deps, cid, since);
    } catch (err) {
      // A conversation the user has left since (403/404) has nothing to catch up; anything else
      // (a dropped connection, a timeout) ends this catch-up unfinished.
      if (!(err instanceof ParleyError)) throw err;
    }
  }
  return delivered;
}

/**
 * Messages of `cid` created after `since`, oldest first. `message_list` with `updated_at.gt`
 * lists by creation time and also returns older messages edited since (left out here: their edit
 * is an event of its own). Each page starts a millisecond before the newest creation time of the
 * previous one (repeats are dropped). More edits since `since` than a page holds would hide newer
 * messages behind them; a page that brings nothing newer ends the reading.
 */
async function missedMessages(deps: CatchUpDeps, cid: string, since: number): Promise<number> {
  let delivered = 0;
  let gt = since;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { messages } = await deps.request('message_list', { cid, updated_at: { gt } });
    if (messages.length === 0) break;
    let newest = gt;
    for (const m of messages) {
      const created = Date.parse(m.created_at);
      newest = Math.max(newest, created);
      if (created > since && deps.deliver('message', withCid(m, cid), undefined)) delivered++;
    }
    const next = newest - 1 > gt ? newest - 1 : newest;
    if (next === gt) break;
    gt = next;
  }
  return delivered;
}

function withCid(m: Message, cid: string): Message {
  return m.cid === cid ? m : { ...m, cid };
}
