/**
 * Source-level helpers for the XML reader: positions, the DTD/entity
 * pre-scan, start-tag attribute scanning and libxml2-compatible decoding of
 * attribute values and text (predefined entities, character references,
 * attribute-value whitespace normalization).
 */

/** Maps character offsets to 1-based line and column. */
export interface LineIndex {
  locate(offset: number): { line: number; column: number };
}

/** Builds a {@link LineIndex}; `\r\n` and lone `\r` count as one line end, as in XML. */
export function createLineIndex(text: string): LineIndex {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return {
    locate(offset: number) {
      const off = Math.max(0, Math.min(offset, text.length));
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= off) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo + 1, column: off - (starts[lo] ?? 0) + 1 };
    },
  };
}

/** A declaration the reader refuses (no DTD processing means no entity expansion at all). */
export interface ForbiddenDeclaration {
  kind: 'doctype' | 'entity';
  offset: number;
}

/**
 * Finds the first `<!DOCTYPE` or `<!ENTITY` outside comments, CDATA sections
 * and processing instructions. Linear in the input size.
 */
export function findForbiddenDeclaration(text: string): ForbiddenDeclaration | null {
  let i = text.indexOf('<');
  while (i !== -1 && i < text.length) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) return null;
      i = text.indexOf('<', end + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) return null;
      i = text.indexOf('<', end + 3);
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) return null;
      i = text.indexOf('<', end + 2);
      continue;
    }
    if (text.startsWith('<!', i)) {
      const word = text.slice(i + 2, i + 9).toUpperCase();
      if (word.startsWith('DOCTYPE')) return { kind: 'doctype', offset: i };
      if (word.startsWith('ENTITY')) return { kind: 'entity', offset: i };
    }
    i = text.indexOf('<', i + 1);
  }
  return null;
}

/** One attribute as written in a start tag. */
export interface RawAttribute {
  name: string;
  /** The text between the quotes, undecoded. */
  raw: string;
  nameOffset: number;
  /** Offset of the first character after the opening quote. */
  valueOffset: number;
}

/**
 * Whether the UTF-16 code unit `c` matches JavaScript's `\s` (WhiteSpace and LineTerminator),
 * without a regular expression per character: the scanners below run over every start tag.
 */
function isJsSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const CH_SLASH = 0x2f;
const CH_GT = 0x3e;
const CH_EQ = 0x3d;

/** Scans the attributes of the start tag beginning at `offset` (which points at `<`). */
export function scanStartTag(text: string, offset: number): RawAttribute[] {
  const attrs: RawAttribute[] = [];
  const n = text.length;
  let i = offset + 1;
  for (
    let c = text.charCodeAt(i);
    i < n && !isJsSpace(c) && c !== CH_SLASH && c !== CH_GT;
    c = text.charCodeAt(i)
  )
    i++;
  for (;;) {
    while (i < n && isJsSpace(text.charCodeAt(i))) i++;
    if (i >= n) return attrs;
    const first = text.charCodeAt(i);
    if (first === CH_GT || first === CH_SLASH) return attrs;
    const nameOffset = i;
    for (
      let c = first;
      i < n && !isJsSpace(c) && c !== CH_EQ && c !== CH_SLASH && c !== CH_GT;
      c = text.charCodeAt(i)
    )
      i++;
    const name = text.slice(nameOffset, i);
    while (i < n && isJsSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== CH_EQ) {
      if (name === '') i++;
      continue;
    }
    i++;
    while (i < n && isJsSpace(text.charCodeAt(i))) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") return attrs;
    const valueOffset = i + 1;
    const end = text.indexOf(quote, valueOffset);
    if (end === -1) return attrs;
    attrs.push({ name, raw: text.slice(valueOffset, end), nameOffset, valueOffset });
    i = end + 1;
  }
}

/** The end (index after `>`) of the start tag at `offset`, and whether it is self-closing (`/>`). */
export function findStartTagEnd(
  text: string,
  offset: number,
): { end: number; selfClosing: boolean } {
  let quote = '';
  for (let i = offset + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return { end: i + 1, selfClosing: text[i - 1] === '/' };
  }
  return { end: text.length, selfClosing: false };
}

/**
 * Offset of the first start tag nested deeper than `limit` elements, or -1.
 * Expects well-formed input (run after the XML validator).
 */
export function findExcessiveNesting(text: string, limit: number): number {
  let depth = 0;
  let i = text.indexOf('<');
  while (i !== -1) {
    const next = text[i + 1];
    if (text.startsWith('<!--', i)) i = text.indexOf('-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) i = text.indexOf(']]>', i + 9);
    else if (next === '?') i = text.indexOf('?>', i + 2);
    else if (next === '!') i = text.indexOf('>', i + 2);
    else if (next === '/') {
      depth--;
      i = text.indexOf('>', i + 2);
    } else {
      const tag = findStartTagEnd(text, i);
      if (!tag.selfClosing && ++depth > limit) return i;
      i = tag.end - 1;
    }
    if (i === -1) return -1;
    i = text.indexOf('<', i + 1);
  }
  return -1;
}

/** Offset of the first character after `from` that is not whitespace, a comment or a processing instruction; -1 if none. */
export function findTrailingContent(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    if (/\s/.test(text[i] ?? '')) i++;
    else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) return i;
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) return i;
      i = end + 2;
    } else return i;
  }
  return -1;
}

const PREDEFINED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  apos: "'",
  quot: '"',
};

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const END_TAG = /<\/([^\s<>/=]+)[ \t\r\n]*>/y;
const START_NAME = /<([^\s<>/=!?]+)/y;

/**
 * Checks the start or end tag at `lt` against the stack of open elements and returns the offset
 * after it, or the well-formedness error. Start tags are pushed unless self-closing.
 */
function checkTag(
  text: string,
  lt: number,
  open: string[],
): number | { offset: number; message: string; unknownEntity: false } {
  if (text[lt + 1] === '/') {
    END_TAG.lastIndex = lt;
    const m = END_TAG.exec(text);
    if (!m)
      return {
        offset: lt,
        message: 'an end tag holds only the element name, as in </rule>',
        unknownEntity: false,
      };
    const name = m[1] as string;
    const top = open.pop();
    if (top !== name) {
      const message =
        top === undefined
          ? `end tag </${name}> has no matching start tag`
          : `end tag </${name}> does not match the open element <${top}>`;
      return { offset: lt, message, unknownEntity: false };
    }
    return END_TAG.lastIndex;
  }
  START_NAME.lastIndex = lt;
  const m = START_NAME.exec(text);
  if (!m) return lt + 1;
  // The tag ends at the first '>' outside a quoted attribute value.
  let quote = 0;
  for (let j = START_NAME.lastIndex; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x3e) {
      if (text.charCodeAt(j - 1) !== 0x2f) open.push(m[1] as string);
      return j + 1;
    }
  }
  return text.length;
}

/**
 * Well-formedness errors libxml2 reports but the fast-xml-parser validator
 * lets through: `--` inside a comment, and entity or character references
 * that are undefined or malformed anywhere in text or attribute values.
 */
export function findExtraWellFormednessError(
  text: string,
): { offset: number; message: string; unknownEntity: boolean } | null {
  // Both searches only move forward, so the scan stays linear.
  let nextAmp = text.indexOf('&');
  let nextLt = text.indexOf('<');
  let i = 0;
  const open: string[] = [];
  while (nextAmp !== -1 || nextLt !== -1) {
    if (nextLt !== -1 && nextLt < i) nextLt = text.indexOf('<', i);
    if (nextAmp !== -1 && nextAmp < i) nextAmp = text.indexOf('&', i);
    if (nextAmp === -1 && nextLt === -1) return null;
    if (nextLt !== -1 && (nextAmp === -1 || nextLt < nextAmp)) {
      const lt = nextLt;
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end === -1) return null;
        const dash = text.indexOf('--', lt + 4);
        if (dash < end || (end > lt + 4 && text[end - 1] === '-'))
          return {
            offset: dash < end ? dash : end - 1,
            message: "'--' is not allowed inside a comment",
            unknownEntity: false,
          };
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end === -1) return null;
        i = end + 3;
      } else if (text.startsWith('<?', lt)) {
        const end = text.indexOf('?>', lt + 2);
        if (end === -1) return null;
        // The declaration is the document's first thing or nothing (libxml2: "XML declaration
        // allowed only at the start of the document").
        if (lt > 0 && /^<\?xml[\s?]/.test(text.slice(lt, lt + 6)))
          return {
            offset: lt,
            message:
              'an XML declaration (<?xml …?>) is allowed only at the very start of the document',
            unknownEntity: false,
          };
        i = end + 2;
      } else {
        // fast-xml-parser's validator lets an end tag with attributes close any element
        // (`<rule>…</tcp a='1'/>`); libxml2, and so libvirt, reject it: check the nesting here.
        const tag = checkTag(text, lt, open);
        if (typeof tag === 'object') return tag;
        i = tag;
      }
      continue;
    }
    const amp = nextAmp;
    const semi = text.indexOf(';', amp + 1);
    const ref = semi === -1 || semi - amp > 14 ? '&' : text.slice(amp, semi + 1);
    const decoded = decodeXmlText(ref, false);
    if (!decoded.ok)
      return { offset: amp, message: decoded.message, unknownEntity: decoded.unknownEntity };
    i = amp + ref.length;
  }
  return null;
}

/** Result of decoding: the text, or the offset (relative to the raw text) and reason of the first error. */
export type DecodeResult =
  | { ok: true; value: string }
  | { ok: false; offset: number; message: string; unknownEntity: boolean };

/** Whether {@link decodeXmlText} would change or reject `raw` (most values are plain text). */
function needsDecoding(raw: string, attribute: boolean): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    // & < \t \n \r
    if (c === 0x26 || c === 0x0d || (attribute && (c === 0x3c || c === 0x0a || c === 0x09)))
      return true;
  }
  return false;
}

/**
 * Decodes XML character data as libxml2 does: predefined entities and
 * character references are replaced; in attribute values literal tab,
 * newline and carriage return become spaces (`\r\n` counting once).
 */
export function decodeXmlText(raw: string, attribute: boolean): DecodeResult {
  if (!needsDecoding(raw, attribute)) return { ok: true, value: raw };
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '&') {
      const semi = raw.indexOf(';', i + 1);
      const ref = semi === -1 ? '' : raw.slice(i + 1, semi);
      if (semi === -1 || ref.length === 0 || ref.length > 12) {
        return {
          ok: false,
          offset: i,
          message: "a bare '&' must be written as &amp;",
          unknownEntity: false,
        };
      }
      if (ref[0] === '#') {
        const hex = ref[1] === 'x';
        const digits = ref.slice(hex ? 2 : 1);
        const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
        const cp = valid ? parseInt(digits, hex ? 16 : 10) : NaN;
        if (!valid || !isXmlChar(cp)) {
          return {
            ok: false,
            offset: i,
            message: `'&${ref};' is not a valid character reference`,
            unknownEntity: false,
          };
        }
        out += String.fromCodePoint(cp);
      } else {
        const rep = PREDEFINED[ref];
        if (rep === undefined) {
          return {
            ok: false,
            offset: i,
            message: `entity '&${ref};' is not defined (only &lt; &gt; &amp; &apos; &quot; exist without a DTD)`,
            unknownEntity: true,
          };
        }
        out += rep;
      }
      i = semi;
      continue;
    }
    if (attribute) {
      if (ch === '<')
        return {
          ok: false,
          offset: i,
          message: "'<' is not allowed in an attribute value; write &lt;",
          unknownEntity: false,
        };
      if (ch === '\r') {
        if (raw[i + 1] === '\n') i++;
        out += ' ';
        continue;
      }
      if (ch === '\n' || ch === '\t') {
        out += ' ';
        continue;
      }
    } else if (ch === '\r') {
      if (raw[i + 1] === '\n') i++;
      out += '\n';
      continue;
    }
    out += ch;
  }
  return { ok: true, value: out };
}

/** At most this many characters of a name or message taken from the input go into a diagnostic. */
const MAX_QUOTED = 40;

function quoteName(name: string): string {
  return name.length > MAX_QUOTED ? `${name.slice(0, MAX_QUOTED)}…` : name;
}

/** An input that ends inside something: where that began, and what is missing. */
export interface PrematureEnd {
  /** Offset of the construct or element left open (the innermost). */
  openedAt: number;
  message: string;
}

/**
 * Why the document ends too early, as libxml2 reports it ("Premature end of data", "Comment not
 * terminated", …): the first comment, CDATA section, processing instruction or tag that is never
 * finished, else the innermost element without its end tag. Null when everything is closed.
 * Linear; the message quotes at most a short element name whatever the input.
 */
export function findPrematureEnd(text: string): PrematureEnd | null {
  const open: { name: string; offset: number }[] = [];
  const unterminated = (lt: number, what: string, close: string): PrematureEnd => ({
    openedAt: lt,
    message: `the ${what} is never closed with ${close}`,
  });
  let i = 0;
  for (;;) {
    const lt = text.indexOf('<', i);
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) return unterminated(lt, 'comment', '-->');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) return unterminated(lt, 'CDATA section', ']]>');
      i = end + 3;
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) return unterminated(lt, 'processing instruction', '?>');
      i = end + 2;
    } else if (text[lt + 1] === '/') {
      const gt = text.indexOf('>', lt);
      if (gt === -1) return unterminated(lt, 'end tag', "'>'");
      const name = text.slice(lt + 2, gt).trim();
      const at = open.map((o) => o.name).lastIndexOf(name);
      if (at !== -1) open.length = at;
      i = gt + 1;
    } else {
      START_NAME.lastIndex = lt;
      const m = START_NAME.exec(text);
      let quote = 0;
      let j = lt + 1;
      for (; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (quote !== 0) {
          if (c === quote) quote = 0;
        } else if (c === 0x22 || c === 0x27) quote = c;
        else if (c === 0x3e) break;
      }
      const name = quoteName(m ? (m[1] as string) : '');
      if (j >= text.length) {
        return {
          openedAt: lt,
          message:
            quote !== 0
              ? `an attribute value of the <${name}> start tag is never closed with its quote`
              : `the <${name}> start tag is never closed with '>'`,
        };
      }
      if (m && text.charCodeAt(j - 1) !== 0x2f) open.push({ name: m[1] as string, offset: lt });
      i = j + 1;
    }
  }
  const top = open[open.length - 1];
  if (!top) return null;
  return {
    openedAt: top.offset,
    message: `the document ends before the end tag of <${quoteName(top.name)}>`,
  };
}

/**
 * The first character XML 1.0 forbids in a document (C0 controls other than tab, line feed and
 * carriage return, unpaired surrogates, U+FFFE, U+FFFF): libxml2 refuses the document there.
 * Returns its offset and code point, or null.
 */
export function findForbiddenCharacter(text: string): { offset: number; codePoint: number } | null {
  const re =
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  const m = re.exec(text);
  return m ? { offset: m.index, codePoint: m[0].charCodeAt(0) } : null;
}
