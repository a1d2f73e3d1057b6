import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';

/** A request a handler makes with FETCH(url, init). */
export interface FetchRequest {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What the handler gets back: failures are `{ok: false, status: 500}` (protocol.md §8). */
export interface FetchReply {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** Why the request failed (for the conversation owner, never for the sender); absent on success. */
  readonly error?: string;
}

export interface FetchLimits {
  readonly policy: AddressPolicy;
  readonly timeoutMs: number;
  /** Largest response body read; a longer one fails the request. */
  readonly maxBytes: number;
  /** Resolves host names to every address (tests replace it). */
  readonly resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

const failed = (error: string): FetchReply => ({ ok: false, status: 500, headers: {}, text: '', error });

const systemResolve = (host: string): Promise<{ address: string; family: number }[]> => dnsLookup(host, { all: true, verbatim: true });

/**
 * Performs a handler's request without letting it reach this machine or its network: http(s)
 * only; the host name is resolved first and every address it resolves to must pass `policy`;
 * the connection goes to that checked address (the socket never resolves the name again, so a
 * second DNS answer cannot rebind it), while TLS still verifies the certificate for the name.
 * Redirects are not followed (the 3xx comes back as is). Bounded by `timeoutMs` overall and
 * `maxBytes` of body. Never rejects.
 */
export async function guardedFetch(req: FetchRequest, limits: FetchLimits): Promise<FetchReply> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return failed('invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed(`${url.protocol} URLs are not allowed`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (limits.resolve ?? systemResolve)(host);
    } catch {
      return failed(`cannot resolve ${host}`);
    }
  }
  const refused = addresses.find((a) => !limits.policy.allows(a.address));
  if (addresses.length === 0 || refused) return failed(`address ${refused?.address ?? '(none)'} of ${host} is not allowed`);
  const target = addresses[0] as { address: string; family: number };
  const pinned: LookupFunction = (_name, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const options: RequestOptions & { servername?: string } = {
    protocol: url.protocol,
    hostname: host,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: (req.method ?? 'GET').toUpperCase(),
    headers: { ...(req.headers ?? {}) },
    lookup: pinned,
    // No connection reuse: every request is checked and connected afresh.
    agent: false,
  };
  if (url.protocol === 'https:' && isIP(host) === 0) options.servername = host;
  return new Promise<FetchReply>((resolve) => {
    let settled = false;
    const finish = (r: FetchReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          finish(failed(`response larger than ${String(limits.maxBytes)} bytes`));
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const status = res.statusCode ?? 500;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        finish({ ok: status >= 200 && status < 300, status, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => finish(failed(err.message)));
    });
    const timer = setTimeout(() => {
      finish(failed(`no response within ${String(limits.timeoutMs)} ms`));
      request.destroy();
    }, limits.timeoutMs);
    request.on('error', (err) => finish(failed(err.message)));
    if (req.body !== undefined) request.write(req.body);
    request.end();
  });
}
