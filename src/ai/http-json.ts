import { AiProviderError } from './provider.js';

/** Largest provider reply read, bytes: an answer is a few KB; anything far larger is refused. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * POSTs `body` as JSON and returns the parsed JSON reply of a 2xx answer. Every failure becomes an
 * AiProviderError that carries no request or reply text: a non-2xx status ('status'), no complete
 * answer within `timeoutMs` ('timeout'), a connection failure ('network'), a reply that is not
 * JSON or larger than 1 MiB ('malformed').
 */
export async function postJson(provider: string, url: string, headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal, redirect: 'error' });
  } catch (err) {
    throw new AiProviderError(provider, signal.aborted ? 'timeout' : 'network', undefined, { cause: err });
  }
  let text: string;
  try {
    text = await readCapped(res);
  } catch (err) {
    throw new AiProviderError(provider, signal.aborted ? 'timeout' : err instanceof TooLarge ? 'malformed' : 'network', res.status, { cause: err });
  }
  if (res.status < 200 || res.status > 299) throw new AiProviderError(provider, 'status', res.status);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AiProviderError(provider, 'malformed', res.status);
  }
}

class TooLarge extends Error {}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream (the rest of the body is not read).
  for await (const value of res.body as AsyncIterable<Uint8Array>) {
    size += value.byteLength;
    if (size > MAX_REPLY_BYTES) throw new TooLarge();
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
