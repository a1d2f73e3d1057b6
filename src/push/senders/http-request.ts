import { request as httpRequestRaw, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

/** A complete HTTP answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpCall {
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: Buffer | string | null;
  /** The whole exchange must finish within this time, else the promise rejects. */
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for https, in addition to the system ones. */
  readonly ca?: string;
}

/**
 * One HTTP(S) request with a hard deadline, resolving with status, headers and the body as text
 * (push services answer small JSON or nothing). Rejects on network errors and timeouts.
 */
export function httpCall(url: string, call: HttpCall): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: call.method, headers: call.headers, ...(call.ca === undefined ? {} : { ca: call.ca }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${call.timeoutMs} ms`)), call.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(call.body ?? undefined);
  });
}
