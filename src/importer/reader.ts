import { createReadStream, readdirSync, statSync, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { EJSON, deserialize } from 'bson';
import type { Doc } from './values.js';

/**
 * Reading a SAMA dump: a folder with one file per collection, either `mongodump`'s
 * `<collection>.bson` (BSON documents one after another) or `mongoexport`'s `<collection>.json`
 * (one Extended JSON document per line), each optionally gzipped (`mongodump --gzip`). Files are
 * streamed, so a collection of any size is read in constant memory.
 */

export interface DumpFile {
  readonly collection: string;
  readonly path: string;
  readonly format: 'bson' | 'json';
  readonly gzip: boolean;
  /** Bytes on disk (compressed when gzipped). */
  readonly size: number;
}

export interface DumpListing {
  /** The folder the files were found in (the one given, or its only subfolder holding a dump). */
  readonly dir: string;
  readonly files: ReadonlyMap<string, DumpFile>;
  /** File names that are not collections (metadata, unknown formats) or lost to a duplicate. */
  readonly ignored: readonly string[];
}

const NAME = /^(.+)\.(bson|json)(\.gz)?$/;

function listOne(dir: string): DumpListing {
  const files = new Map<string, DumpFile>();
  const ignored: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const m = NAME.exec(name);
    if (!m || name.endsWith('.metadata.json') || name.endsWith('.metadata.json.gz') || !statSync(path).isFile()) {
      ignored.push(name);
      continue;
    }
    const [, collection = '', format = 'json', gz] = m;
    const file: DumpFile = { collection, path, format: format === 'bson' ? 'bson' : 'json', gzip: gz !== undefined, size: statSync(path).size };
    const had = files.get(collection);
    // Both a .bson and a .json of one collection: the .bson (mongodump's exact copy) wins.
    if (had && had.format === 'bson') {
      ignored.push(name);
      continue;
    }
    if (had) ignored.push(had.path.slice(dir.length + 1));
    files.set(collection, file);
  }
  return { dir, files, ignored };
}

/**
 * The collection files of a dump folder. `mongodump` writes `dump/<database>/…`: given `dump`
 * with no collection files of its own and exactly one subfolder that has some, that subfolder
 * is used.
 */
export function listDump(dir: string): DumpListing {
  const top = listOne(dir);
  if (top.files.size > 0) return top;
  const subs = readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory())
    .map(listOne)
    .filter((l) => l.files.size > 0);
  return subs.length === 1 && subs[0] ? subs[0] : top;
}

/** One record of a collection file, or the reason it could not be read. */
export interface DumpEntry {
  /** 1-based: the document's position in a .bson file, the line number in a .json file. */
  readonly at: number;
  readonly doc?: Doc;
  readonly error?: string;
  /** Bytes of the file consumed so far (compressed bytes for gzipped files), for progress. */
  readonly bytesRead: number;
}

/** BSON's own limit on a document is 16 MiB; anything claiming more is a broken file. */
const MAX_BSON = 16 * 1024 * 1024 + 16 * 1024;

function open(file: DumpFile): { stream: NodeJS.ReadableStream; raw: ReadStream } {
  const raw = createReadStream(file.path, { highWaterMark: 1 << 20 });
  return { stream: file.gzip ? raw.pipe(createGunzip()) : raw, raw };
}

/** Streams the records of a collection file. A document that cannot be decoded is reported and skipped; a file cut short ends with an error entry. */
export function readDump(file: DumpFile): AsyncGenerator<DumpEntry> {
  return file.format === 'bson' ? readBson(file) : readJsonLines(file);
}

async function* readBson(file: DumpFile): AsyncGenerator<DumpEntry> {
  const { stream, raw } = open(file);
  let pending: Buffer = Buffer.alloc(0);
  let at = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let off = 0;
    while (pending.length - off >= 4) {
      const len = pending.readInt32LE(off);
      if (len < 5 || len > MAX_BSON) {
        raw.destroy();
        yield { at: at + 1, error: `document ${at + 1} claims ${len} bytes: the file is damaged from here on, nothing after it was read`, bytesRead: raw.bytesRead };
        return;
      }
      if (pending.length - off < len) break;
      at += 1;
      const bytes = pending.subarray(off, off + len);
      off += len;
      let doc: Doc | undefined;
      let error: string | undefined;
      try {
        doc = deserialize(bytes);
      } catch (err) {
        error = `not a valid BSON document: ${err instanceof Error ? err.message : String(err)}`;
      }
      yield doc !== undefined ? { at, doc, bytesRead: raw.bytesRead } : { at, error: error ?? 'unreadable', bytesRead: raw.bytesRead };
    }
    pending = pending.subarray(off);
  }
  if (pending.length > 0) yield { at: at + 1, error: `the file ends inside document ${at + 1} (${pending.length} bytes left over): it was cut short`, bytesRead: raw.bytesRead };
}

async function* readJsonLines(file: DumpFile): AsyncGenerator<DumpEntry> {
  const { stream, raw } = open(file);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let at = 0;
  let first = true;
  for await (const line of lines) {
    at += 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (first && trimmed.startsWith('[')) {
      lines.close();
      raw.destroy();
      yield { at, error: 'this is a JSON array (mongoexport --jsonArray); export again without --jsonArray, one document per line', bytesRead: raw.bytesRead };
      return;
    }
    first = false;
    let doc: unknown;
    try {
      doc = EJSON.parse(trimmed, { relaxed: true });
    } catch (err) {
      yield { at, error: `not valid Extended JSON: ${err instanceof Error ? err.message : String(err)}`, bytesRead: raw.bytesRead };
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) yield { at, error: 'the line is not a JSON object', bytesRead: raw.bytesRead };
    else yield { at, doc: doc as Doc, bytesRead: raw.bytesRead };
  }
}
