import { createHash, createHmac } from 'node:crypto';

/** Where and as whom to sign. */
export interface S3Target {
  /** e.g. http://127.0.0.1:9000; undefined means AWS (`https://s3.<region>.amazonaws.com`). */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint host>/<key>` (MinIO, local servers). */
  readonly pathStyle: boolean;
}

/** One presigned request. */
export interface PresignRequest {
  readonly method: 'GET' | 'PUT' | 'HEAD' | 'DELETE';
  /** The object key; empty for a request on the bucket itself. */
  readonly key: string;
  /** Signing time, epoch ms. */
  readonly signedAt: number;
  /** Lifetime from `signedAt`, seconds (SigV4 allows at most 604800). */
  readonly expiresIn: number;
  /** Headers the client must send with exactly these values (e.g. content-length). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra query parameters covered by the signature (e.g. response-content-type). */
  readonly query?: Readonly<Record<string, string>>;
}

/** The S3 maximum for X-Amz-Expires. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * A SigV4 query-string presigned URL (AWS "Authenticating Requests: Using Query Parameters"),
 * computed locally and synchronously with an unsigned payload. Headers in `headers` become
 * signed headers, so S3 refuses a request whose values differ (used to pin the upload size).
 */
export function presignS3Url(target: S3Target, req: PresignRequest): string {
  const base = new URL(target.endpoint ?? `https://s3.${target.region}.amazonaws.com`);
  const host = target.pathStyle ? base.host : `${target.bucket}.${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const keyPath = req.key === '' ? '' : `/${req.key.split('/').map(enc).join('/')}`;
  const path = target.pathStyle ? `${basePath}/${enc(target.bucket)}${keyPath}` : `${basePath}${keyPath === '' ? '/' : keyPath}`;

  const date = amzDate(req.signedAt);
  const day = date.slice(0, 8);
  const scope = `${day}/${target.region}/s3/aws4_request`;
  const headers: Record<string, string> = { host };
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v.trim();
  const headerNames = Object.keys(headers).sort();
  const signedHeaders = headerNames.join(';');

  const params: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${target.accessKeyId}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.floor(req.expiresIn)))),
    'X-Amz-SignedHeaders': signedHeaders,
    ...req.query,
  };
  const query = Object.keys(params)
    .map((k) => [enc(k), enc(params[k] ?? '')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

  const canonical = [req.method, path, query, headerNames.map((h) => `${h}:${headers[h] ?? ''}\n`).join(''), signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${target.secretAccessKey}`, day), target.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return `${base.protocol}//${host}${path}?${query}&X-Amz-Signature=${signature}`;
}
