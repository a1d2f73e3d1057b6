import assert from 'node:assert/strict';
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
});
