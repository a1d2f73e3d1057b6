import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { TarWriter, header } from './tar.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-tar-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('TarWriter', () => {
  it('writes an archive the system tar unpacks byte for byte, padding short streams and cutting long ones', async () => {
    const path = join(dir, 'a.tar');
    const out = createWriteStream(path);
    const tar = new TarWriter(out);
    const exact = randomBytes(1537);
    await tar.addBuffer('README.txt', Buffer.from('hello\n'), Date.UTC(2025, 0, 2));
    await tar.addBuffer('empty.json', Buffer.alloc(0), 0);
    await tar.addStream('files/exact', Readable.from([exact.subarray(0, 700), exact.subarray(700)]), exact.length, 0);
    assert.equal(await tar.addStream('files/short', Readable.from([Buffer.from('abc')]), 5, 0), 3);
    assert.equal(await tar.addStream('files/long', Readable.from([Buffer.from('abcdefgh')]), 4, 0), 4);
    await tar.finish();
    out.end();
    await finished(out);
    assert.equal(statSync(path).size % 512, 0);
    const into = mkdtempSync(join(dir, 'x-'));
    execFileSync('tar', ['-xf', path, '-C', into]);
    assert.equal(readFileSync(join(into, 'README.txt'), 'utf8'), 'hello\n');
    assert.equal(statSync(join(into, 'README.txt')).mtimeMs, Date.UTC(2025, 0, 2));
    assert.equal(readFileSync(join(into, 'empty.json')).length, 0);
    assert.deepEqual(readFileSync(join(into, 'files', 'exact')), exact);
    assert.deepEqual(readFileSync(join(into, 'files', 'short')), Buffer.from('abc\0\0'));
    assert.equal(readFileSync(join(into, 'files', 'long'), 'utf8'), 'abcd');
    assert.equal(execFileSync('tar', ['-tf', path], { encoding: 'utf8' }), 'README.txt\nempty.json\nfiles/exact\nfiles/short\nfiles/long\n');
  });

  it('refuses names it cannot store and checksums its headers', () => {
    assert.throws(() => header('', 1, 0), /1-100 bytes/);
    assert.throws(() => header('x'.repeat(101), 1, 0), /1-100 bytes/);
    const h = header('a.txt', 10, 0);
    const stored = parseInt(h.subarray(148, 154).toString('ascii'), 8);
    const copy = Buffer.from(h);
    copy.write('        ', 148, 'ascii');
    assert.equal(stored, copy.reduce((s, b) => s + b, 0));
  });
});
