import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { presignS3Url } from './s3-presign.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/**
 * Cross-checks the synchronous presigner against the AWS SDK's own for the same request and
 * clock: the signatures must be identical. (The end-to-end tests check it against an S3 server.)
 */
describe('presignS3Url', () => {
  for (const pathStyle of [true, false]) {
    it(`signs exactly as the AWS SDK does (${pathStyle ? 'path' : 'virtual-host'} style)`, async () => {
      const endpoint = pathStyle ? 'http://127.0.0.1:4569' : undefined;
      const client = new S3Client({ region: 'eu-west-1', endpoint, forcePathStyle: pathStyle, credentials: creds });
      const at = Date.UTC(2026, 0, 2, 3, 4, 5);
      const name = 'résumé "final".pdf';
      const sdk = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: 'my-bucket', Key: 'a69644ec8fcbc9ed66b8986b', ResponseContentType: 'application/pdf', ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(name)}` }), { expiresIn: 900, signingDate: new Date(at) }));
      client.destroy();
      const ours = new URL(presignS3Url({ endpoint, region: 'eu-west-1', bucket: 'my-bucket', pathStyle, ...creds }, {
        method: 'GET',
        key: 'a69644ec8fcbc9ed66b8986b',
        signedAt: at,
        expiresIn: 900,
        // the SDK adds these three parameters of its own; include them so both sign the same request
        query: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', 'x-amz-checksum-mode': 'ENABLED', 'x-id': 'GetObject', 'response-content-type': 'application/pdf', 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` },
      }));
      assert.equal(ours.host, sdk.host);
      assert.equal(ours.pathname, sdk.pathname);
      assert.equal(ours.searchParams.get('X-Amz-Signature'), sdk.searchParams.get('X-Amz-Signature'));
    });
  }

  it('caps the lifetime at the SigV4 maximum of seven days', () => {
    const url = new URL(presignS3Url({ endpoint: undefined, region: 'us-east-1', bucket: 'b', pathStyle: false, ...creds }, { method: 'GET', key: 'k', signedAt: 0, expiresIn: 30 * 86400 }));
    assert.equal(url.searchParams.get('X-Amz-Expires'), '604800');
    assert.equal(url.host, 'b.s3.us-east-1.amazonaws.com');
  });
});
