/**
 * A JSON reader that keeps where every value and key starts, so a host profile's errors can point
 * at the offending line and column (JSON.parse only reports an offset, and only for syntax).
 */

/** 1-based position in the text. */
export interface JsonPos {
  line: number;
  column: number;
}

export type JsonValue =
  | { kind: 'object'; pos: JsonPos; entries: { key: string; keyPos: JsonPos; value: JsonValue }[] }
  | { kind: 'array'; pos: JsonPos; items: JsonValue[] }
  | { kind: 'string'; pos: JsonPos; value: string }
  | { kind: 'number'; pos: JsonPos; value: number; text: string }
  | { kind: 'boolean'; pos: JsonPos; value: boolean }
  | { kind: 'null'; pos: JsonPos };

/** A syntax error: what was expected, where. */
export interface JsonSyntaxError {
  pos: JsonPos;
  message: string;
}

/** Nesting deeper than this is refused (a host profile is three levels deep). */
const MAX_DEPTH = 64;

class Reader {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  constructor(private readonly s: string) {}

  pos(): JsonPos {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  fail(message: string, pos: JsonPos = this.pos()): never {
    throw { pos, message } satisfies JsonSyntaxError;
  }

  skipSpace(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === 32 || c === 9 || c === 13) this.i++;
      else break;
    }
  }

  peek(): string {
    return this.s[this.i] ?? '';
  }

  describeHere(): string {
    const c = this.peek();
    return c === '' ? 'the end of the text' : `'${c}'`;
  }

  value(depth: number): JsonValue {
    this.skipSpace();
    const pos = this.pos();
    const c = this.peek();
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    if (c === '{') return this.object(pos, depth);
    if (c === '[') return this.array(pos, depth);
    if (c === '"') return { kind: 'string', pos, value: this.string() };
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
      if (!m) this.fail(`expected a number, found ${this.describeHere()}`);
      this.i += m[0].length;
      return { kind: 'number', pos, value: Number(m[0]), text: m[0] };
    }
    for (const [word, v] of [
      ['true', { kind: 'boolean', pos, value: true }],
      ['false', { kind: 'boolean', pos, value: false }],
      ['null', { kind: 'null', pos }],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(`expected a value, found ${this.describeHere()}`);
  }

  object(pos: JsonPos, depth: number): JsonValue {
    this.i++;
    const entries: { key: string; keyPos: JsonPos; value: JsonValue }[] = [];
    this.skipSpace();
    if (this.peek() === '}') {
      this.i++;
      return { kind: 'object', pos, entries };
    }
    for (;;) {
      this.skipSpace();
      const keyPos = this.pos();
      if (this.peek() !== '"') this.fail(`expected a quoted key, found ${this.describeHere()}`);
      const key = this.string();
      if (entries.some((e) => e.key === key)) this.fail(`duplicate key "${key}"`, keyPos);
      this.skipSpace();
      if (this.peek() !== ':')
        this.fail(`expected ':' after "${key}", found ${this.describeHere()}`);
      this.i++;
      entries.push({ key, keyPos, value: this.value(depth + 1) });
      this.skipSpace();
      const c = this.peek();
      this.i++;
      if (c === '}') return { kind: 'object', pos, entries };
      if (c !== ',') {
        this.i--;
        this.fail(`expected ',' or '}', found ${this.describeHere()}`);
      }
    }
  }

  array(pos: JsonPos, depth: number): JsonValue {
    this.i++;
    const items: JsonValue[] = [];
    this.skipSpace();
    if (this.peek() === ']') {
      this.i++;
      return { kind: 'array', pos, items };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.peek();
      this.i++;
      if (c === ']') return { kind: 'array', pos, items };
      if (c !== ',') {
        this.i--;
        this.fail(`expected ',' or ']', found ${this.describeHere()}`);
      }
    }
  }

  string(): string {
    const start = this.pos();
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') this.fail('unterminated string', start);
      this.i++;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.s[this.i++] ?? '';
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e in simple) out += simple[e];
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i, this.i + 4))) {
          out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16));
          this.i += 4;
        } else this.fail(`bad escape '\\${e}'`);
      } else if (c.charCodeAt(0) < 0x20) this.fail('control character in a string');
      else out += c;
    }
  }

  end(): void {
    this.skipSpace();
    if (this.i < this.s.length) this.fail(`unexpected ${this.describeHere()} after the value`);
  }
}

/** Reads one JSON document; every value and object key carries its position. */
export function readJson(text: string): { value: JsonValue } | { error: JsonSyntaxError } {
  const r = new Reader(text);
  try {
    const value = r.value(0);
    r.end();
    return { value };
  } catch (e) {
    if (e && typeof e === 'object' && 'pos' in e) return { error: e as JsonSyntaxError };
    throw e;
  }
}
