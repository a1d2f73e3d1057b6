/** A value of the YAML subset parseBlockYaml reads: every scalar stays a string; an empty value is null. */
export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

/** `text` without a trailing comment: a `#` outside quotes, at the start or after a space. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

const isItem = (text: string): boolean => text === '-' || text.startsWith('- ');
const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#&*!|>[\]{},-][^:]*?|-[^\s:][^:]*?):(?: +(.*))?$/;

/**
 * Reads the block subset of YAML that deploy/compose.yaml is kept to, so tests can check that
 * file without a YAML library: nested block mappings and sequences (a sequence item may open a
 * mapping: `- key: value`), plain, single- and double-quoted scalars, comments, `&anchor` on a
 * value, `*alias` as a value and `<<: *alias` merges (keys written out win, as in YAML). Anything
 * else — flow `[ ]` and `{ }`, block scalars `|` and `>`, tags, tabs, a duplicate key, uneven
 * indentation — throws with its line number, so the file cannot drift out of what this checks.
 */
export function parseBlockYaml(source: string): YamlValue {
  const lines: Line[] = [];
  for (const [i, raw] of source.split('\n').entries()) {
    if (/^ *\t/.test(raw)) throw new Error(`line ${String(i + 1)}: tab in indentation`);
    const text = stripComment(raw);
    if (text.trim() === '') continue;
    lines.push({ no: i + 1, indent: text.length - text.trimStart().length, text: text.trimStart() });
  }
  const anchors = new Map<string, YamlValue>();
  let pos = 0;
  const fail = (line: Line | undefined, why: string): never => {
    throw new Error(`line ${String(line?.no ?? '?')}: ${why}`);
  };

  const scalar = (line: Line, text: string): YamlValue => {
    if (text.startsWith('"')) {
      if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) fail(line, 'unterminated double-quoted scalar');
      return JSON.parse(text) as string;
    }
    if (text.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(text)) fail(line, 'unterminated single-quoted scalar');
      return text.slice(1, -1).replaceAll("''", "'");
    }
    if (/^[[\]{}|>!%@`&*]/.test(text)) fail(line, `"${text}" is outside the block subset`);
    return text;
  };

  /** The node whose first line is lines[pos], at that line's indentation. */
  const node = (): YamlValue => {
    const first = lines[pos] ?? fail(undefined, 'missing value');
    return isItem(first.text) ? sequence(first.indent) : mapping(first.indent);
  };

  /** The value after `key:` on `line`: inline, an alias, or the deeper block that follows. */
  const value = (line: Line, rest: string): YamlValue => {
    let text = rest;
    let anchor: string | undefined;
    const a = /^&([\w-]+)(?: +(.*))?$/.exec(text);
    if (a) [anchor, text] = [a[1], a[2] ?? ''];
    let v: YamlValue;
    if (text === '') {
      const next = lines[pos];
      v = next !== undefined && next.indent > line.indent ? node() : null;
    } else if (text.startsWith('*')) {
      const name = text.slice(1);
      if (!anchors.has(name)) fail(line, `unknown alias *${name}`);
      v = anchors.get(name) ?? null;
    } else v = scalar(line, text);
    if (anchor !== undefined) anchors.set(anchor, v);
    return v;
  };

  const mapping = (indent: number): YamlValue => {
    const own: Record<string, YamlValue> = {};
    const merged: Record<string, YamlValue> = {};
    while (pos < lines.length) {
      const line = lines[pos] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent || isItem(line.text)) fail(line, 'unexpected indentation or sequence item in a mapping');
      const m = KEY.exec(line.text) ?? fail(line, `"${line.text}" is not a "key: value" line`);
      const rawKey = m[1] ?? '';
      const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? (scalar(line, rawKey) as string) : rawKey;
      pos++;
      const v = value(line, m[2] ?? '');
      if (key === '<<') {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(line, '<< must merge a mapping');
        Object.assign(merged, v);
      } else {
        if (Object.hasOwn(own, key)) fail(line, `duplicate key "${key}"`);
        own[key] = v;
      }
    }
    return { ...merged, ...own };
  };

  const sequence = (indent: number): YamlValue => {
    const out: YamlValue[] = [];
    while (pos < lines.length) {
      const line = lines[pos] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent || !isItem(line.text)) fail(line, 'unexpected indentation or mapping line in a sequence');
      const content = line.text.slice(1).trimStart();
      if (content === '') {
        pos++;
        const next = lines[pos];
        out.push(next !== undefined && next.indent > indent ? node() : null);
      } else if (KEY.test(content) && !content.startsWith('"') && !content.startsWith("'")) {
        // `- key: value` opens a mapping at the column of `key`; its further keys line up there.
        lines[pos] = { no: line.no, indent: line.indent + line.text.length - content.length, text: content };
        out.push(mapping(line.indent + line.text.length - content.length));
      } else {
        pos++;
        out.push(scalar(line, content));
      }
    }
    return out;
  };

  const root = lines.length === 0 ? null : node();
  if (pos < lines.length) fail(lines[pos], 'unexpected line');
  return root;
}
