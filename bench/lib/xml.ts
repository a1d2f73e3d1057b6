/**
 * Just enough XML for the XMPP load generator: one stanza per WebSocket message (RFC 7395), so a
 * whole element arrives at once and can be parsed in one pass, without a streaming parser.
 *
 * Handles elements, attributes in either quote style, text with the five predefined entities
 * and numeric character references, CDATA sections, and skips comments, processing
 * instructions and doctype declarations. Namespaces are not resolved: a prefixed name stays
 * `prefix:local`, and `xmlns` declarations are ordinary attributes. Malformed input throws.
 */

/** A parsed element. `text` is the concatenated, unescaped character data of its direct children. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for use as character data or as an attribute value in either quote style. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces entity and character references; an unknown or unterminated reference throws. */
export function unescapeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&]*);?/g, (ref: string, body: string) => {
    if (!ref.endsWith(';')) throw new Error(`unterminated entity reference in ${JSON.stringify(s)}`);
    const named = NAMED[body];
    if (named !== undefined) return named;
    const code = body.startsWith('#x') ? parseInt(body.slice(2), 16) : body.startsWith('#') ? parseInt(body.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code < 1 || code > 0x10ffff) throw new Error(`bad entity reference &${body};`);
    return String.fromCodePoint(code);
  });
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Parses a document fragment and returns its top-level elements (text between them is dropped). */
export function parseXml(src: string): XmlElement[] {
  const top: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML: ${why} at ${i} in ${JSON.stringify(src.length > 200 ? `${src.slice(0, 200)}…` : src)}`);
  };
  const skipPast = (end: string): void => {
    const at = src.indexOf(end, i);
    if (at < 0) fail(`missing ${end}`);
    i = at + end.length;
  };
  const readName = (): string => {
    const start = i;
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (isSpace(c) || c === 0x2f /* / */ || c === 0x3e /* > */ || c === 0x3d /* = */) break;
      i++;
    }
    if (i === start) fail('expected a name');
    return src.slice(start, i);
  };
  const skipSpace = (): void => {
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
  };

  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const parent = stack[stack.length - 1];
      if (parent) parent.text += unescapeXml(src.slice(i, textEnd));
      i = textEnd;
      if (lt < 0) break;
    }
    if (src.startsWith('<!--', i)) skipPast('-->');
    else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      const parent = stack[stack.length - 1];
      if (parent) parent.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<?', i)) skipPast('?>');
    else if (src.startsWith('<!', i)) skipPast('>');
    else if (src.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (src[i] !== '>') fail('expected > after end tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not match <${open?.name ?? '(none)'}>`);
    } else {
      i++;
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
      let selfClosing = false;
      for (;;) {
        skipSpace();
        const c = src[i];
        if (c === undefined) fail('unterminated start tag');
        if (c === '>') {
          i++;
          break;
        }
        if (c === '/') {
          if (src[i + 1] !== '>') fail('expected /> ');
          i += 2;
          selfClosing = true;
          break;
        }
        const attr = readName();
        skipSpace();
        if (src[i] !== '=') fail(`expected = after attribute ${attr}`);
        i++;
        skipSpace();
        const q = src[i];
        if (q !== '"' && q !== "'") fail('expected a quoted attribute value');
        const end = src.indexOf(q as string, i + 1);
        if (end < 0) fail('unterminated attribute value');
        el.attrs[attr] = unescapeXml(src.slice(i + 1, end));
        i = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else top.push(el);
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed <${(stack[stack.length - 1] as XmlElement).name}>`);
  return top;
}

/** The element's name without its namespace prefix. */
export function localName(el: XmlElement): string {
  const colon = el.name.indexOf(':');
  return colon < 0 ? el.name : el.name.slice(colon + 1);
}

/** The first direct child with this local name (and namespace, when given), if any. */
export function child(el: XmlElement, name: string, xmlns?: string): XmlElement | undefined {
  return el.children.find((c) => localName(c) === name && (xmlns === undefined || c.attrs.xmlns === xmlns));
}
