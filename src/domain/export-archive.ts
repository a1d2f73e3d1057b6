import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ObjectStorage } from '../files/storage.js';
import type { Store } from '../store/store.js';
import { publicConversation } from './conversations.js';
import { messageWire } from './messages.js';
import { publicOrganization } from './organizations.js';
import { TarWriter } from './tar.js';
import { publicUser } from './users.js';

/** Messages per `messages/NNNNNN.json` entry, so no entry has to hold them all in memory. */
const MESSAGES_PER_ENTRY = 1000;
/** Rows per store read while paging. */
const PAGE = 500;

/** What an archive holds, for the job's log line and the CLI. */
export interface ArchiveSummary {
  /** Bytes of the .tar.gz. */
  readonly size: number;
  readonly conversations: number;
  readonly messages: number;
  readonly files: number;
  /** Files whose bytes were not in storage (never uploaded, or lost): listed, not included. */
  readonly filesMissing: number;
}

const README = `Parley personal data export

profile.json          your account (no password), your organization
contacts.json         your address book
blocked_users.json    ids of the users you blocked
push_subscriptions.json  devices registered for pushes (platform, device id, dates; no tokens)
conversations.json    conversations you take part in, with their participants' ids and your role
messages/NNNNNN.json  every message you sent, oldest first (up to 1000 per file)
files.json            files you uploaded: name, type, size, dates, and where the bytes are
files/<object id>     the bytes of each file you uploaded

Times are ISO 8601 (UTC) or, where named t, unix seconds.
`;

function json(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

/**
 * Writes the personal data export of one user as a .tar.gz at `path` (see README above for
 * what it holds) and returns what it holds. Everything is read through the store in pages and
 * file bytes are streamed from storage, so memory stays bounded by one page of messages.
 * Undefined when the user does not exist in the organization.
 */
export async function writeExportArchive(store: Store, storage: ObjectStorage, orgId: string, userId: string, path: string, now: number): Promise<ArchiveSummary | undefined> {
  const user = await store.users.byId(orgId, userId);
  const org = await store.organizations.byId(orgId);
  if (!user || !org) return undefined;
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(path));
  const tar = new TarWriter(gzip);
  let conversations: number;
  let messages = 0;
  let files = 0;
  let filesMissing = 0;
  try {
    await tar.addBuffer('README.txt', Buffer.from(README, 'utf8'), now);
    await tar.addBuffer('profile.json', json({ user: publicUser(user), organization: publicOrganization(org), exported_at: new Date(now).toISOString() }), now);
    const contacts = await store.contacts.list(orgId, userId, { limit: 0 });
    await tar.addBuffer('contacts.json', json(contacts.map((c) => ({ _id: c._id, first_name: c.first_name, last_name: c.last_name, company: c.company, email: c.email, phone: c.phone, created_at: new Date(c.created_at).toISOString(), updated_at: new Date(c.updated_at).toISOString() }))), now);
    await tar.addBuffer('blocked_users.json', json(await store.blocks.list(orgId, userId)), now);
    const subs = await store.pushSubscriptions.forUser(orgId, userId);
    await tar.addBuffer('push_subscriptions.json', json(subs.map((s) => ({ platform: s.platform, device_udid: s.device_udid, created_at: new Date(s.created_at).toISOString(), updated_at: new Date(s.updated_at).toISOString() }))), now);

    const convs: Record<string, unknown>[] = [];
    for (let page = await store.admin.conversationIds(orgId, { limit: PAGE, userId }); page.length > 0; ) {
      const members = await store.participants.forConversations(orgId, page);
      for (const cid of page) {
        const c = await store.conversations.byId(orgId, cid);
        if (!c) continue;
        const rows = members.filter((m) => m.conversation_id === cid);
        const mine = rows.find((m) => m.user_id === userId);
        convs.push({ ...publicConversation(c), participants: rows.map((m) => m.user_id), your_role: c.owner_id === userId ? 'owner' : (mine?.role ?? null), joined_at: mine ? new Date(mine.created_at).toISOString() : null });
      }
      page = page.length < PAGE ? [] : await store.admin.conversationIds(orgId, { limit: PAGE, userId, afterId: page[page.length - 1] ?? '' });
    }
    conversations = convs.length;
    await tar.addBuffer('conversations.json', json(convs), now);

    let chunk: unknown[] = [];
    let part = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      part += 1;
      await tar.addBuffer(`messages/${String(part).padStart(6, '0')}.json`, json(chunk), now);
      chunk = [];
    };
    for (let after: string | null = null; ; ) {
      const page = await store.exports.sentMessages(orgId, userId, after, PAGE);
      for (const m of page) {
        chunk.push(messageWire(m));
        if (chunk.length >= MESSAGES_PER_ENTRY) await flush();
      }
      messages += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]?._id ?? null;
    }
    await flush();

    const listed: Record<string, unknown>[] = [];
    for (let page = await store.admin.fileIds(orgId, { limit: PAGE, userId }); page.length > 0; ) {
      for (const f of await store.files.byObjectIds(orgId, page)) {
        const body = await storage.read(f.object_id);
        const entry = { object_id: f.object_id, name: f.name, content_type: f.content_type, size: f.size, created_at: new Date(f.created_at).toISOString(), path: body ? `files/${f.object_id}` : null };
        if (body) {
          // Uploads are exactly the announced size (the upload routes enforce it).
          await tar.addStream(`files/${f.object_id}`, body, f.size, f.created_at);
          files += 1;
        } else filesMissing += 1;
        listed.push(entry);
      }
      page = page.length < PAGE ? [] : await store.admin.fileIds(orgId, { limit: PAGE, userId, afterId: page[page.length - 1] ?? '' });
    }
    await tar.addBuffer('files.json', json(listed), now);
    await tar.finish();
  } finally {
    gzip.end();
    await written;
  }
  return { size: (await stat(path)).size, conversations, messages, files, filesMissing };
}
