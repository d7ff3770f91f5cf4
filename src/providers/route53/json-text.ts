/**
 * Finds where a value sits in a JSON text, so a policy document can be edited in place: the two
 * weights change and every other character (key order, spacing, number formats) stays as it was.
 * JSON.parse + JSON.stringify would move integer-like keys ("1", "2") to the front and reformat.
 */

export type JsonPath = ReadonlyArray<string | number>;

export interface TextSpan {
  start: number;
  /** Exclusive. */
  end: number;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] as string)) this.pos += 1;
  }

  expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) this.fail(`expected ${JSON.stringify(char)}`);
    this.pos += 1;
  }

  /** Reads a string token and returns its decoded value. */
  string(): string {
    this.skipSpace();
    const start = this.pos;
    if (this.text[start] !== '"') this.fail('expected a string');
    this.pos += 1;
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (char === '\\') this.pos += 2;
      else if (char === '"') {
        this.pos += 1;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos += 1;
    }
    return this.fail('unterminated string');
  }

  /** Skips any value and returns its span. */
  value(): TextSpan {
    this.skipSpace();
    const start = this.pos;
    const char = this.text[this.pos];
    if (char === '{') {
      this.object(() => this.value());
    } else if (char === '[') {
      this.array(() => this.value());
    } else if (char === '"') {
      this.string();
    } else {
      const match = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
      if (!match) this.fail('expected a value');
      this.pos += match[0].length;
    }
    return { start, end: this.pos };
  }

  object(onMember: (key: string) => void): void {
    this.expect('{');
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return;
    }
    for (;;) {
      const key = this.string();
      this.expect(':');
      onMember(key);
      this.skipSpace();
      if (this.text[this.pos] !== ',') break;
      this.pos += 1;
    }
    this.expect('}');
  }

  array(onItem: (index: number) => void): void {
    this.expect('[');
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return;
    }
    for (let index = 0; ; index++) {
      onItem(index);
      this.skipSpace();
      if (this.text[this.pos] !== ',') break;
      this.pos += 1;
    }
    this.expect(']');
  }
}

/**
 * The span of the value at `path` (object keys and array indexes), or undefined when the path does
 * not exist. With duplicate keys the last one wins, as with JSON.parse. Throws on invalid JSON.
 */
export function locateJsonValue(text: string, path: JsonPath): TextSpan | undefined {
  const scanner = new Scanner(text);
  const find = (depth: number): TextSpan | undefined => {
    if (depth === path.length) return scanner.value();
    const step = path[depth];
    scanner.skipSpace();
    const opener = text[scanner.pos];
    let found: TextSpan | undefined;
    if (opener === '{' && typeof step === 'string') {
      scanner.object((key) => {
        if (key === step) found = find(depth + 1);
        else scanner.value();
      });
    } else if (opener === '[' && typeof step === 'number') {
      scanner.array((index) => {
        if (index === step) found = find(depth + 1);
        else scanner.value();
      });
    } else {
      scanner.value();
    }
    return found;
  };
  const span = find(0);
  scanner.skipSpace();
  if (scanner.pos !== text.length) scanner.fail('unexpected text after the document');
  return span;
}

/** Replaces the values at the given paths with new JSON text; everything else is kept verbatim. */
export function replaceJsonValues(
  text: string,
  edits: ReadonlyArray<{ path: JsonPath; json: string }>,
): string {
  const spans = edits.map((edit) => {
    const span = locateJsonValue(text, edit.path);
    if (!span) throw new Error(`no value at ${edit.path.join('.')}`);
    return { ...span, json: edit.json };
  });
  spans.sort((a, b) => b.start - a.start);
  let out = text;
  for (const span of spans) out = out.slice(0, span.start) + span.json + out.slice(span.end);
  return out;
}
