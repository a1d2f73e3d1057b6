import type { RequestId } from './envelope.js';

/**
 * What an error reply needs to know of a frame that could not be decoded whole: the packet name
 * and correlation ids, as far as they can be read. `name` is undefined when no packet key was
 * seen (e.g. `{"request":{"id":"5"}}`).
 */
export interface FrameHead {
  readonly name: string | undefined;
  readonly id: RequestId | undefined;
  readonly bare: boolean;
  readonly bodyId: RequestId | undefined;
}

/** How much of a frame is scanned for its head; ids sent after this are not looked for. */
export const FRAME_HEAD_BYTES = 4096;

interface Level {
  /** Key of the value being read (objects), undefined before the first key or in arrays. */
  key: string | undefined;
  readonly isObject: boolean;
  /** How deep this container is: 0 for the root. */
  readonly depth: number;
  /**
   * The first two keys of this container's path from the root (arrays contribute ''): all the
   * head's rules look at. Longer paths are not copied, so a frame nested thousands deep costs
   * a scan, not a copy of its whole path at every level (which was quadratic).
   */
  readonly path: readonly string[];
  /** Whether the next string in this object is a key. */
  expectKey: boolean;
}

/**
 * Reads the head of a frame that is not valid JSON as a whole — cut short, too large, or broken
 * somewhere after its start — with a tolerant scan of its first FRAME_HEAD_BYTES characters: the
 * scan stops at the first character that cannot continue JSON and keeps what it has found. The
 * rules are decodeFrame's: the first key other than `id` names the packet (inside `request` when
 * that comes first); the request id is the `id` beside the packet key; a bare packet's body `id`
 * is its reply id. Never throws.
 */
export function readFrameHead(text: string): FrameHead {
  const src = text.length > FRAME_HEAD_BYTES ? text.slice(0, FRAME_HEAD_BYTES) : text;
  let outer: string | undefined;
  let name: string | undefined;
  let id: RequestId | undefined;
  let bodyId: RequestId | undefined;
  const stack: Level[] = [];

  const onKey = (level: Level, key: string): void => {
    level.key = key;
    if (key === 'id') return;
    if (level.depth === 0 && outer === undefined) outer = key;
    else if (level.depth === 1 && level.path[0] === 'request' && outer === 'request' && name === undefined) name = key;
  };
  const onScalar = (value: unknown): void => {
    const level = stack[stack.length - 1];
    if (!level?.isObject || level.key !== 'id') return;
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const p = level.path;
    const depth = level.depth;
    if (depth === 0 && outer !== 'request') id = value;
    else if (depth === 1 && p[0] === 'request' && outer === 'request') id = value;
    else if (depth === 1 && outer !== undefined && outer !== 'request' && p[0] === outer) bodyId = value;
    else if (depth === 2 && outer === 'request' && p[0] === 'request' && p[1] === name) bodyId = value;
  };
  const afterValue = (): void => {
    const level = stack[stack.length - 1];
    if (level?.isObject) level.expectKey = false;
  };

  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === ',' || c === ':') {
      if (c === ',') {
        const level = stack[stack.length - 1];
        if (level?.isObject) level.expectKey = true;
      }
      i += 1;
      continue;
    }
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      // Only an object at the root can be a packet.
      if (parent === undefined && c === '[') break;
      const depth = parent === undefined ? 0 : parent.depth + 1;
      const path = parent === undefined ? [] : parent.depth < 2 ? [...parent.path, parent.isObject ? (parent.key ?? '') : ''] : parent.path;
      stack.push({ key: undefined, isObject: c === '{', depth, path, expectKey: c === '{' });
      i += 1;
      continue;
    }
    if (c === '}' || c === ']') {
      stack.pop();
      afterValue();
      if (stack.length === 0) break;
      i += 1;
      continue;
    }
    if (c === '"') {
      if (stack.length === 0) break;
      const end = stringEnd(src, i);
      if (end < 0) break;
      let value: string;
      try {
        value = JSON.parse(src.slice(i, end + 1)) as string;
      } catch {
        break;
      }
      const level = stack[stack.length - 1];
      if (level?.isObject && level.expectKey) {
        onKey(level, value);
        level.expectKey = false;
      } else {
        onScalar(value);
        afterValue();
      }
      i = end + 1;
      continue;
    }
    if (stack.length === 0) break;
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(src.slice(i, i + 64));
    if (!m) break;
    // A number cut off by the scan limit may be incomplete: ignore a value that ends the text.
    if (i + m[0].length < src.length || src === text) onScalar(m[0] === 'true' || m[0] === 'false' || m[0] === 'null' ? null : Number(m[0]));
    afterValue();
    i += m[0].length;
  }
  if (outer === 'request') return { name, id, bare: false, bodyId };
  // A bare packet is answered under its own key only when its body id was read: a frame broken
  // before that gets the plain `response` error that protocol.md §1.5 gives for broken frames.
  return { name: outer, id, bare: outer !== undefined && bodyId !== undefined, bodyId };
}

/** Index of the closing quote of the string starting at `start`, or -1 if it does not end. */
function stringEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i += 1) {
    const c = s[i];
    if (c === '\\') i += 1;
    else if (c === '"') return i;
  }
  return -1;
}
