import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { TestS3 } from '../../test/helpers/s3.js';
import { S3ObjectStorage } from './s3-storage.js';

describe('S3ObjectStorage.start', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await TestS3.start();
  });
  after(() => s3.stop());

  const storage = (bucket: string, createBucket: boolean): S3ObjectStorage => new S3ObjectStorage({
    endpoint: s3.endpoint, region: 'us-east-1', bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', pathStyle: true,
    createBucket, uploadTtlSeconds: 60, downloadTtlSeconds: 60,
  });

  it('refuses a missing bucket unless told to create it', async () => {
    await assert.rejects(storage('absent', false).start(), /S3 bucket "absent" is not usable: HEAD answered 404 \(set S3_CREATE_BUCKET=true/);
  });

  it('lets several nodes starting together create the bucket: the one whose create loses the race finds it made', async () => {
    const nodes = [storage('shared', true), storage('shared', true), storage('shared', true)];
    await Promise.all(nodes.map((n) => n.start()));
    await storage('shared', false).start();
  });

  it('stores a file of its own (an export archive), reads it back, and says when there is none', async () => {
    const node = storage('archives', true);
    await node.start();
    const dir = mkdtempSync(join(tmpdir(), 'parley-s3-put-'));
    try {
      const bytes = randomBytes(200_000);
      const path = join(dir, 'a.tar.gz');
      writeFileSync(path, bytes);
      await node.put('0123456789abcdef01234567', path, bytes.length);
      const body = await node.read('0123456789abcdef01234567');
      assert.ok(body);
      assert.deepEqual(await buffer(body), bytes);
      assert.equal(await node.read('76543210fedcba9876543210'), undefined);
      await node.delete(['0123456789abcdef01234567']);
      assert.equal(await node.read('0123456789abcdef01234567'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
