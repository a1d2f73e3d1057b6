import type { SamaError } from './errors.js';
import { readFrameHead, type FrameHead } from './frame-head.js';

/** A request id as clients send it: string or number, echoed verbatim. */
export type RequestId = string | number;

/**
 * One decoded client frame. `bare` is true when the packet came without the `request` wrapper
 * (protocol.md §1.4); `id` is the outer correlation id, `bodyId` the `id` inside the packet body
 * (used for bare packets' error replies and as the client message id).
 */
export interface DecodedPacket {
  readonly name: string;
  readonly body: unknown;
  readonly id: RequestId | undefined;
  readonly bare: boolean;
  readonly bodyId: RequestId | undefined;
}

/** Why a frame could not be decoded at all. */
export type DecodeFailure = 'invalid_json' | 'not_a_packet' | 'too_deep';

/**
 * Deepest nesting of arrays and objects a frame may have. No SAMA packet needs more than a few
 * levels; a free-form field (`x`, attachment extras) nested thousands deep would be stored and
 * then overflow the stack when a reply or delivery serialises it.
 */
export const MAX_NESTING = 64;

/** True when `text` nests arrays/objects deeper than `limit` (brackets inside strings ignored). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  if (text.length <= limit * 2) return false; // needs limit+1 openers and as many closers
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * A decoded packet, or why decoding failed together with the frame's head (its packet name and
 * ids as far as they could be read), so that the error reply still carries the client's id.
 */
export type DecodeResult = { ok: true; packet: DecodedPacket } | { ok: false; reason: DecodeFailure; head: FrameHead };

function asRequestId(v: unknown): RequestId | undefined {
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
}

/** True for a JSON object (not null, not an array): what a packet, a body or a field map must be. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first key that names a packet (SAMA looks at the first key; we skip a leading `id`). */
function packetKey(obj: Record<string, unknown>): string | undefined {
  for (const k in obj) if (k !== 'id') return k;
  return undefined;
}

const notAPacket: DecodeResult = { ok: false, reason: 'not_a_packet', head: { name: undefined, id: undefined, bare: false, bodyId: undefined } };

/** Decodes one text frame into a packet; never throws. Frames nested deeper than MAX_NESTING are refused. */
export function decodeFrame(text: string): DecodeResult {
  if (nestsDeeperThan(text, MAX_NESTING)) return { ok: false, reason: 'too_deep', head: readFrameHead(text) };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', head: readFrameHead(text) };
  }
  if (!isPlainObject(raw)) return notAPacket;
  const outer = packetKey(raw);
  if (outer === undefined) return { ok: false, reason: 'not_a_packet', head: { name: undefined, id: asRequestId(raw.id), bare: false, bodyId: undefined } };
  if (outer === 'request') {
    const inner = raw.request;
    if (!isPlainObject(inner)) return { ok: false, reason: 'not_a_packet', head: { name: undefined, id: asRequestId(raw.id), bare: false, bodyId: undefined } };
    const name = packetKey(inner);
    if (name === undefined) return { ok: false, reason: 'not_a_packet', head: { name: undefined, id: asRequestId(inner.id), bare: false, bodyId: undefined } };
    const body = inner[name];
    const bodyId = isPlainObject(body) ? asRequestId(body.id) : undefined;
    return { ok: true, packet: { name, body, id: asRequestId(inner.id), bare: false, bodyId } };
  }
  const body = raw[outer];
  const bodyId = isPlainObject(body) ? asRequestId(body.id) : undefined;
  return { ok: true, packet: { name: outer, body, id: asRequestId(raw.id), bare: true, bodyId } };
}

/** `{"response":{"id":…, …fields}}` — the success reply of an ordinary request. */
export function encodeResponse(id: RequestId | undefined, fields: Record<string, unknown>): string {
  return JSON.stringify({ response: id === undefined ? fields : { id, ...fields } });
}

/**
 * The error reply for a packet, or for the head of a frame that could not be decoded: under
 * `response` for wrapped requests, under the packet's own key with the body's `id` for bare ones
 * (protocol.md §1.4). Parley always echoes the client's id when it could be read; a frame with an
 * id but no packet name is answered under `response` with that id.
 */
export function encodeError(target: DecodedPacket | FrameHead | undefined, err: SamaError): string {
  const error = err.toWire();
  if (target === undefined) return JSON.stringify({ response: { error } });
  if (target.bare && target.name !== undefined) {
    const inner = target.bodyId === undefined ? { error } : { id: target.bodyId, error };
    return JSON.stringify({ [target.name]: inner });
  }
  return JSON.stringify({ response: target.id === undefined ? { error } : { id: target.id, error } });
}
