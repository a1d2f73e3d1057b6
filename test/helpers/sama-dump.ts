import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { EJSON, ObjectId, serialize, type Document } from 'bson';
import { samaDigest } from '../../src/domain/legacy-passwords.js';
import { prng } from './prng.js';

/**
 * Writes dumps the way SAMA's operators make them: `mongodump` files (`<collection>.bson`, BSON
 * documents back to back) or `mongoexport` files (`<collection>.json`, one Extended JSON document
 * per line). Documents are written as given, so tests and benches build them in SAMA's shapes
 * (ObjectIds, Dates).
 */
export type DumpFormat = 'bson' | 'json';

/** Buffers up to this much before writing (big dumps are written in constant memory). */
const FLUSH_BYTES = 1 << 20;

export class DumpFileWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  private constructor(
    private readonly out: WriteStream,
    private readonly format: DumpFormat,
  ) {}

  static open(dir: string, collection: string, format: DumpFormat): DumpFileWriter {
    mkdirSync(dir, { recursive: true });
    return new DumpFileWriter(createWriteStream(join(dir, `${collection}.${format}`)), format);
  }

  /** Appends one document; resolves when buffered (or written, when the buffer was full). */
  async add(doc: Document): Promise<void> {
    const bytes = this.format === 'bson' ? Buffer.from(serialize(doc)) : Buffer.from(`${EJSON.stringify(doc, { relaxed: false })}\n`);
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  /** Appends bytes as they are (a damaged document, a broken line). */
  async addRaw(bytes: Buffer | string): Promise<void> {
    const b = Buffer.from(bytes);
    this.chunks.push(b);
    this.size += b.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    if (!this.out.write(data)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Writes whole collections; `format` per collection or for all. */
export async function writeDump(dir: string, collections: Readonly<Record<string, readonly Document[]>>, format: DumpFormat | ((collection: string) => DumpFormat)): Promise<void> {
  for (const [name, docs] of Object.entries(collections)) {
    const w = DumpFileWriter.open(dir, name, typeof format === 'function' ? format(name) : format);
    for (const d of docs) await w.add(d);
    await w.close();
  }
}

/** SAMA's stored password fields for `password` with `salt` (protocol.md §11.1). */
export function samaPasswordFields(password: string, salt: string): { password_salt: string; encrypted_password: string } {
  return { password_salt: salt, encrypted_password: samaDigest(password, salt) };
}


let counter = 0;
/** An ObjectId at `ms` that sorts by time, then by creation order (as a single SAMA node's are). */
function idAt(ms: number): ObjectId {
  counter += 1;
  return new ObjectId(Math.floor(ms / 1000).toString(16).padStart(8, '0') + counter.toString(16).padStart(16, '0'));
}

export interface DumpStats {
  readonly dir: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly counts: Record<string, number>;
}

/** Writes the dump; returns where, how big, how long it took and how many records of each collection. */
/**
 * Writes a dump (.bson) of one organization with `messageCount` messages over a year among
 * `userCount` users: two private chats per user and a group of up to 5 per 10 users, read
 * statuses on a third of the messages, reactions on 2 %, an attachment (with its file record) on
 * 5 %, the same every time (ids aside). Returns the folder's size, the time taken and the records per collection.
 */
export async function writeGeneratedDump(dir: string, messageCount: number, userCount: number): Promise<DumpStats> {
  const started = performance.now();
  const rand = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const counts: Record<string, number> = {};
  const writers = new Map<string, DumpFileWriter>();
  const add = async (collection: string, doc: Document): Promise<void> => {
    let w = writers.get(collection);
    if (!w) writers.set(collection, (w = DumpFileWriter.open(dir, collection, 'bson')));
    counts[collection] = (counts[collection] ?? 0) + 1;
    await w.add(doc);
  };
  const year = 365 * 24 * 3600 * 1000;
  const t0 = Date.now() - year - 3600_000;
  const org = new ObjectId();
  await add('organizations', { _id: org, name: `bench ${org.toHexString()}`, created_at: new Date(t0), updated_at: new Date(t0) });
  // One salt and digest for every user: the import never runs SAMA's hash, so 10^4 different
  // ones would only slow the dump down.
  const password = samaPasswordFields('bench-password', 'BenchSalt+/0123456789');
  const users: ObjectId[] = [];
  for (let i = 0; i < userCount; i++) {
    const _id = idAt(t0 + i);
    users.push(_id);
    await add('users', { _id, organization_id: org, login: `user${i}`, first_name: `First${i}`, last_name: 'Bench', email: `user${i}@bench.example`, phone: '', ...password, recent_activity: Math.floor(t0 / 1000), created_at: new Date(t0 + i), updated_at: new Date(t0 + i) });
  }
  const convs: { _id: ObjectId; members: ObjectId[] }[] = [];
  const participant = async (cid: ObjectId, user: ObjectId, role: string | null, at: number): Promise<void> => add('conversations_participants', { _id: idAt(at), organization_id: org, conversation_id: cid, user_id: user, role: role ?? '', created_at: new Date(at), updated_at: new Date(at) });
  const pairs = new Set<string>();
  for (let i = 0; i < userCount * 2; i++) {
    const a = users[i % userCount] as ObjectId;
    const b = pick(users);
    const key = [a.toHexString(), b.toHexString()].sort().join(':');
    if (a.equals(b) || pairs.has(key)) continue;
    pairs.add(key);
    const at = t0 + 1000 + i;
    const _id = idAt(at);
    await add('conversations', { _id, organization_id: org, type: 'u', owner_id: a, opponent_id: b, created_at: new Date(at), updated_at: new Date(at) });
    await participant(_id, a, 'owner', at);
    await participant(_id, b, null, at);
    convs.push({ _id, members: [a, b] });
  }
  for (let i = 0; i < Math.floor(userCount / 10); i++) {
    const members = [...new Set(Array.from({ length: 5 }, () => pick(users)))];
    const at = t0 + 2000 + i;
    const _id = idAt(at);
    await add('conversations', { _id, organization_id: org, type: 'g', name: `Group ${i}`, owner_id: members[0], created_at: new Date(at), updated_at: new Date(at) });
    for (const [n, m] of members.entries()) await participant(_id, m, n === 0 ? 'owner' : null, at);
    convs.push({ _id, members });
  }
  const step = (year - 10_000) / messageCount;
  for (let i = 0; i < messageCount; i++) {
    const at = t0 + 10_000 + Math.floor(i * step);
    const conv = pick(convs);
    const from = pick(conv.members);
    const _id = idAt(at);
    const doc: Document = { _id, organization_id: org, cid: conv._id, from, body: `message ${i} ${'lorem ipsum '.repeat(1 + Math.floor(rand() * 6))}`, t: Math.floor(at / 1000), deleted_for: [], x: {}, created_at: new Date(at), updated_at: new Date(at) };
    if (rand() < 0.05) {
      const fileId = idAt(at);
      doc.attachments = [{ file_id: fileId.toHexString(), file_name: `photo${i}.jpg`, file_blur_hash: 'U58XLS~q0000?b-;NG9F00D%~q_3W=IURP?b', file_content_type: 'image/jpeg', file_width: 1024, file_height: 768 }];
      await add('files', { _id: idAt(at), organization_id: org, user_id: from, name: `photo${i}.jpg`, size: 100_000, content_type: 'image/jpeg', object_id: fileId, created_at: new Date(at), updated_at: new Date(at) });
    }
    await add('messages', doc);
    const reader = conv.members.find((m) => !m.equals(from));
    if (reader && rand() < 0.33) await add('message_statuses', { _id: idAt(at + 1000), mid: _id, cid: conv._id, user_id: reader, status: 'read', created_at: new Date(at + 1000), updated_at: new Date(at + 1000) });
    if (reader && rand() < 0.02) await add('message_reactions', { _id: idAt(at + 2000), mid: _id, user_id: reader, reaction: '👍', created_at: new Date(at + 2000), updated_at: new Date(at + 2000) });
  }
  for (const w of writers.values()) await w.close();
  const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  return { dir, bytes, seconds: (performance.now() - started) / 1000, counts };
}

