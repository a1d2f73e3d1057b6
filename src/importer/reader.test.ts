import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EJSON, ObjectId, serialize } from 'bson';
import { listDump, readDump, type DumpEntry, type DumpFile } from './reader.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sama-reader-'));
  dirs.push(d);
  return d;
}

async function readAll(file: DumpFile): Promise<DumpEntry[]> {
  const out: DumpEntry[] = [];
  for await (const e of readDump(file)) out.push(e);
  return out;
}

const id = new ObjectId('68270a15d6a78a5b3a04e041');
const docs = [
  { _id: id, login: 'a', created_at: new Date('2025-05-16T09:49:09.062Z'), n: 1 },
  { _id: new ObjectId(), body: 'x'.repeat(3 << 20), n: 2 },
  { _id: 'default', name: 'default', n: 3 },
];

function file(dir: string, name: string): DumpFile {
  const l = listDump(dir);
  const f = [...l.files.values()].find((x) => x.path.endsWith(name));
  assert.ok(f, name);
  return f;
}

describe('SAMA dump reader', () => {
  it('reads mongodump .bson and mongoexport .json (plain and gzipped) into the same documents', async () => {
    const dir = tempDir();
    const bson = Buffer.concat(docs.map((d) => Buffer.from(serialize(d))));
    const json = `${docs.map((d) => EJSON.stringify(d)).join('\n')}\n`;
    writeFileSync(join(dir, 'a.bson'), bson);
    writeFileSync(join(dir, 'b.json'), json);
    writeFileSync(join(dir, 'c.bson.gz'), gzipSync(bson));
    writeFileSync(join(dir, 'd.json.gz'), gzipSync(json));
    writeFileSync(join(dir, 'a.metadata.json'), '{}');
    const listing = listDump(dir);
    assert.deepEqual([...listing.files.keys()].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(listing.ignored, ['a.metadata.json']);
    for (const name of ['a.bson', 'b.json', 'c.bson.gz', 'd.json.gz']) {
      const entries = await readAll(file(dir, name));
      assert.deepEqual(
        entries.map((e) => e.at),
        [1, 2, 3],
        name,
      );
      const [first, second, third] = entries.map((e) => e.doc);
      assert.ok(first?._id instanceof ObjectId && first._id.equals(id), name);
      assert.ok(first?.created_at instanceof Date && first.created_at.toISOString() === '2025-05-16T09:49:09.062Z', name);
      assert.equal((second?.body as string).length, 3 << 20, name);
      assert.equal(third?._id, 'default', name);
      assert.ok((entries.at(-1)?.bytesRead ?? 0) > 0);
    }
  });

  it('reports a broken line and reads on; reports a damaged or cut .bson file where it breaks', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), `${EJSON.stringify({ n: 1 })}\n\n{"n": \n[1]\n${EJSON.stringify({ n: 4 })}\n`);
    const lines = await readAll(file(dir, 'x.json'));
    assert.deepEqual(
      lines.map((e) => [e.at, e.doc?.n ?? e.error?.slice(0, 20)]),
      [
        [1, 1],
        [3, 'not valid Extended J'],
        [4, 'the line is not a JS'],
        [5, 4],
      ],
    );
    const good = Buffer.from(serialize({ n: 1 }));
    const corrupt = Buffer.from(serialize({ n: 2 }));
    corrupt[4] = 0x20; // an element type BSON does not have
    writeFileSync(join(dir, 'y.bson'), Buffer.concat([good, corrupt, good, good.subarray(0, 7)]));
    const y = await readAll(file(dir, 'y.bson'));
    assert.deepEqual(
      y.map((e) => [e.at, e.doc?.n ?? 'error']),
      [
        [1, 1],
        [2, 'error'],
        [3, 1],
        [4, 'error'],
      ],
    );
    assert.match(y[3]?.error ?? '', /cut short/);
    const bogus = Buffer.alloc(8);
    bogus.writeInt32LE(-5, 0);
    writeFileSync(join(dir, 'z.bson'), Buffer.concat([good, bogus, good]));
    const z = await readAll(file(dir, 'z.bson'));
    assert.equal(z.length, 2);
    assert.match(z[1]?.error ?? '', /damaged from here on/);
  });

  it('refuses a --jsonArray export with the way to fix it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'users.json'), `[${EJSON.stringify({ n: 1 })}]`);
    const [entry, ...rest] = await readAll(file(dir, 'users.json'));
    assert.equal(rest.length, 0);
    assert.match(entry?.error ?? '', /without --jsonArray/);
  });

  it("finds mongodump's <database> subfolder and prefers .bson over .json of one collection", () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sama'));
    writeFileSync(join(dir, 'sama', 'users.json'), '');
    writeFileSync(join(dir, 'sama', 'users.bson'), '');
    const listing = listDump(dir);
    assert.equal(listing.dir, join(dir, 'sama'));
    assert.equal(listing.files.get('users')?.format, 'bson');
    assert.deepEqual(listing.ignored, ['users.json']);
  });
});
