// A small EDN reader, enough for Jepsen history lines: nil, booleans, numbers, strings, keywords,
// symbols, vectors, lists, sets and maps, with commas and ; comments as whitespace. It never
// throws anything but EdnError (with the column), whatever the input, and never recurses unbounded.

export class EdnKeyword {
  constructor(readonly name: string) {}
}

export class EdnSymbol {
  constructor(readonly name: string) {}
}

export class EdnMap {
  constructor(readonly entries: [Edn, Edn][]) {}

  /** The value under keyword `:name`, or undefined. */
  get(name: string): Edn | undefined {
    for (const [k, v] of this.entries) if (k instanceof EdnKeyword && k.name === name) return v;
    return undefined;
  }
}

/** Sets are read as vectors: histories never depend on set semantics. */
export type Edn = null | boolean | number | string | EdnKeyword | EdnSymbol | EdnMap | Edn[];

export class EdnError extends Error {
  constructor(
    readonly column: number,
    detail: string,
  ) {
    super(`column ${column}: ${detail}`);
    this.name = 'EdnError';
  }
}

const MAX_DEPTH = 64;
const DELIMITERS = new Set([' ', '\t', '\n', '\r', ',', '(', ')', '[', ']', '{', '}', '"', ';']);
const CLOSERS: Record<string, string> = { '[': ']', '(': ')', '{': '}' };
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/' };

/** Read exactly one EDN value from `text` (surrounding whitespace allowed). */
export function parseEdn(text: string): Edn {
  const reader = new Reader(text);
  const value = reader.value(0);
  reader.skipSpace();
  if (!reader.atEnd()) throw reader.error('unexpected text after the value');
  return value;
}

class Reader {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  error(detail: string): EdnError {
    return new EdnError(this.pos + 1, detail);
  }

  skipSpace(): void {
    while (!this.atEnd()) {
      const c = this.text[this.pos]!;
      if (c === ';') {
        while (!this.atEnd() && this.text[this.pos] !== '\n') this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',') {
        this.pos++;
      } else {
        return;
      }
    }
  }

  value(depth: number): Edn {
    if (depth > MAX_DEPTH) throw this.error(`nested deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    if (this.atEnd()) throw this.error('unexpected end of input');
    const c = this.text[this.pos]!;
    if (c === '"') return this.string();
    if (c === '[' || c === '(') return this.sequence(depth);
    if (c === '{') return new EdnMap(this.pairs(this.sequence(depth)));
    if (c === '#' && this.text[this.pos + 1] === '{') {
      this.pos++;
      return this.sequence(depth);
    }
    if (c === ']' || c === ')' || c === '}') throw this.error(`unexpected '${c}'`);
    return this.atom();
  }

  private sequence(depth: number): Edn[] {
    const close = CLOSERS[this.text[this.pos]!]!;
    this.pos++;
    const items: Edn[] = [];
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) throw this.error(`missing '${close}'`);
      if (this.text[this.pos] === close) break;
      items.push(this.value(depth + 1));
    }
    this.pos++;
    return items;
  }

  private pairs(items: Edn[]): [Edn, Edn][] {
    if (items.length % 2 !== 0) throw this.error('a map needs an even number of forms');
    const entries: [Edn, Edn][] = [];
    for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
    return entries;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    let run = this.pos;
    while (!this.atEnd()) {
      const c = this.text[this.pos++]!;
      if (c === '"') return out + this.text.slice(run, this.pos - 1);
      if (c !== '\\') continue;
      out += this.text.slice(run, this.pos - 1) + this.escape();
      run = this.pos;
    }
    this.pos = start;
    throw this.error('unterminated string');
  }

  private escape(): string {
    const e = this.text[this.pos++];
    if (e === 'u') {
      const hex = this.text.slice(this.pos, this.pos + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error(`bad \\u escape '\\u${hex}'`);
      this.pos += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    const plain = e === undefined ? undefined : ESCAPES[e];
    if (plain === undefined) throw this.error(`bad escape '\\${e ?? ''}'`);
    return plain;
  }

  private atom(): Edn {
    const start = this.pos;
    while (!this.atEnd() && !DELIMITERS.has(this.text[this.pos]!)) this.pos++;
    const token = this.text.slice(start, this.pos);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (/^[+-]?\d/.test(token)) return this.number(token, start);
    if (token.startsWith(':')) {
      if (token.length === 1) throw new EdnError(start + 1, "a keyword needs a name after ':'");
      return new EdnKeyword(token.slice(1));
    }
    if (/^[A-Za-z*!_?$%&=<>.+\-/'][^\\#]*$/.test(token)) return new EdnSymbol(token);
    throw new EdnError(start + 1, `cannot read '${token}'`);
  }

  private number(token: string, start: number): number {
    const m = /^([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)[NM]?$/.exec(token);
    if (m === null) throw new EdnError(start + 1, `bad number '${token}'`);
    return Number(m[1]);
  }
}
