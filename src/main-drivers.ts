import { join } from 'node:path';
import type { Logger } from 'pino';
import { isClustered, type Config } from './config/config.js';
import { LocalObjectStorage } from './files/local-storage.js';
import type { S3Target } from './files/s3-presign.js';
import { S3ObjectStorage } from './files/s3-storage.js';
import type { ObjectStorage } from './files/storage.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { Store } from './store/store.js';

/**
 * The drivers the config selects for the store and file storage, shared by the server
 * (main.ts) and the admin CLI, so both always open the same store and bucket.
 */

/**
 * Opens the store the config selects: PostgreSQL for a postgres:// DATABASE_URL, else SQLite.
 * `shortLived` (the admin CLI) opens SQLite without its writer and checkpoint threads.
 */
/** The S3 bucket the S3_* settings name (STORAGE_DRIVER s3, minio or spaces; MinIO is path-style). */
export function s3TargetOf(config: Config): S3Target {
  return {
    endpoint: config.s3Endpoint,
    region: config.s3Region,
    bucket: config.s3BucketName ?? '',
    accessKeyId: config.s3AccessKey ?? '',
    secretAccessKey: config.s3SecretKey ?? '',
    pathStyle: config.s3ForcePathStyle || config.storageDriver === 'minio',
  };
}

export async function openStore(config: Config, log: Logger, shortLived = false): Promise<Store> {
  if (config.databaseUrl === undefined) return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous, checkpointIntervalMs: config.sqliteCheckpointMs, threads: !shortLived });
  // Optional drivers are imported only when configured, so the default start loads none of them.
  const { openPostgresStore } = await import('./store/postgres/index.js');
  return openPostgresStore({ url: config.databaseUrl, orderAcrossNodes: isClustered(config), onIdleError: (err) => log.warn({ err }, 'idle PostgreSQL connection failed; it will be replaced') });
}

/** The file storage STORAGE_DRIVER selects; `baseUrl` is read per URL (the port is known only after listen). */
export function createStorage(config: Config, store: Store, baseUrl: () => string): ObjectStorage {
  switch (config.storageDriver) {
    case 'local':
      return new LocalObjectStorage({
        dir: join(config.dataDir, 'files'),
        baseUrl,
        secret: config.fileUrlSecret,
        uploadTtlSeconds: config.fileUploadUrlExpiresIn,
        downloadTtlSeconds: config.fileDownloadUrlExpiresIn,
        lookup: (id) => store.files.byObjectId(id),
        markUploaded: (id, now) => store.files.markUploaded(id, now),
      });
    case 's3':
    case 'minio':
    case 'spaces':
      return new S3ObjectStorage({
        ...s3TargetOf(config),
        createBucket: config.s3CreateBucket,
        uploadTtlSeconds: config.fileUploadUrlExpiresIn,
        downloadTtlSeconds: config.fileDownloadUrlExpiresIn,
      });
  }
}
