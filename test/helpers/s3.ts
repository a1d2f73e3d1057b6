import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';

/**
 * A local S3-compatible server (s3rver) on a free port with its own directory. It checks SigV4
 * signatures (header and presigned) with the fixed key pair S3RVER / S3RVER, so Parley's
 * presigned URLs are verified for real.
 */
export class TestS3 {
  private constructor(
    private readonly server: S3rver,
    private readonly dir: string,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<TestS3> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, allowMismatchedSignatures: false, vhostBuckets: false });
    const { port } = await server.run();
    return new TestS3(server, dir, `http://127.0.0.1:${String(port)}`);
  }

  /** Settings that point a Parley node at this server (a fresh bucket each call). */
  env(bucket: string): Record<string, string> {
    return {
      STORAGE_DRIVER: 'minio',
      S3_ENDPOINT: this.endpoint,
      S3_BUCKET_NAME: bucket,
      S3_ACCESS_KEY: 'S3RVER',
      S3_SECRET_KEY: 'S3RVER',
      S3_CREATE_BUCKET: 'true',
    };
  }

  async stop(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
