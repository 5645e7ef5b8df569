// The term syntax of the inspector's message box: JSON, plus bare pids (`<0.84.0>`), refs
// (`#Ref<0.0.0.7>`), bare atoms (`ping`, sent as strings), unquoted object keys and trailing commas.
// It parses to the JSON a `send` request carries, pids as {"$pid": …} and refs as {"$ref": …}
// (docs/protocol.md, section 8; docs/guide.md, "Watching it live").

import { formatPid, MAX_MESSAGE_DEPTH, parsePid } from "./control.js";

/** A parse error that says where (line and column, from 1) and what was expected. */
export class TermSyntaxError extends Error {
  override name = "TermSyntaxError";
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
    multiline: boolean,
  ) {
    super(`${multiline ? `line ${line}, column ${column}` : `column ${column}`}: ${reason}`);
  }
}

const REF_TEXT = /^#Ref<0\.(\d+)\.(\d+)\.(\d+)>$/;

/** A ref as Beamline prints one, `#Ref<0.S.H.L>`: its scheduler, then its id's high and low 32 bits. */
export function formatRef(scheduler: number, id: number): string {
  return `#Ref<0.${scheduler}.${Math.floor(id / 0x100000000)}.${id % 0x100000000}>`;
}

/** A ref's scheduler and id from `#Ref<0.S.H.L>` (as formatRef writes one), or undefined. */
export function parseRef(text: string): { scheduler: number; id: number } | undefined {
  const m = REF_TEXT.exec(text);
  if (!m) return undefined;
  const [scheduler, high, low] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (low >= 0x100000000) return undefined;
  const id = high * 0x100000000 + low;
  return Number.isSafeInteger(id) ? { scheduler, id } : undefined;
}

/** Parses the term syntax into the JSON value a `send` request carries; throws TermSyntaxError. */
export function parseTerm(text: string): unknown {
  return new TermParser(text).parse();
}

const ATOM_START = /[A-Za-z_]/;
const ATOM_PART = /[A-Za-z0-9_@.]/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class TermParser {
  private at = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    this.space();
    if (this.at === this.text.length) this.fail('an empty message: write a term, like ping, "text", 42, [add, 1, 2] or <0.84.0>');
    const value = this.value();
    this.space();
    if (this.at < this.text.length) this.fail(`${this.found()} after the end of the term (send one term; wrap several in [ ])`);
    return value;
  }

  private value(): unknown {
    const c = this.text[this.at];
    if (c === "[") return this.nested(() => this.list());
    if (c === "{") return this.nested(() => this.object());
    if (c === '"') return this.string();
    if (c === "<") return this.pid();
    if (c === "#") return this.ref();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    if (c !== undefined && ATOM_START.test(c)) {
      const word = this.atom();
      return word === "true" ? true : word === "false" ? false : word === "null" ? null : word;
    }
    if (c === "'") this.fail("single quotes: write a string in double quotes, or an atom bare (ping)");
    return this.fail(`expected a term, found ${this.found()}`);
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_MESSAGE_DEPTH) this.fail(`lists and objects nest more than ${MAX_MESSAGE_DEPTH} levels deep`);
    const value = parse();
    this.depth--;
    return value;
  }

  private list(): unknown[] {
    this.at++;
    const items: unknown[] = [];
    for (;;) {
      this.space();
      if (this.eat("]")) return items;
      items.push(this.value());
      this.space();
      if (this.eat("]")) return items;
      if (!this.eat(",")) this.fail(`expected "," or "]" after a list element, found ${this.found()}`);
    }
  }

  private object(): Record<string, unknown> {
    const open = this.at++;
    const entries: Record<string, unknown> = {};
    const keys = new Set<string>();
    for (;;) {
      this.space();
      if (this.eat("}")) return entries;
      const keyAt = this.at;
      const c = this.text[this.at];
      let key: string;
      if (c === '"') key = this.string();
      else if (c !== undefined && ATOM_START.test(c)) key = this.atom();
      else return this.fail(`expected a key (a name or a "string") in the object opened at column ${this.columnOf(open)}, found ${this.found()}`);
      if (keys.has(key)) this.fail(`the key ${JSON.stringify(key)} appears twice in this object`, keyAt);
      keys.add(key);
      this.space();
      if (!this.eat(":")) this.fail(`expected ":" after the key ${JSON.stringify(key)}, found ${this.found()}`);
      this.space();
      // An own property whatever the key, "__proto__" included (a plain assignment would set the prototype).
      Object.defineProperty(entries, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.eat("}")) return entries;
      if (!this.eat(",")) this.fail(`expected "," or "}" after the value of ${JSON.stringify(key)}, found ${this.found()}`);
    }
  }

  private string(): string {
    STRING.lastIndex = this.at;
    const m = STRING.exec(this.text);
    if (m === null) this.failString();
    this.at += m![0].length;
    return JSON.parse(m![0]) as string;
  }

  /** Says what is wrong inside a string: where it ends unclosed, or the bad escape or character. */
  private failString(): never {
    for (let i = this.at + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === '"') break;
      if (c === "\\") {
        const escape = this.text.slice(i, i + 6);
        if (!/^\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(escape)) this.fail(`${JSON.stringify(escape.slice(0, 2))} is not an escape in a string (use \\" \\\\ \\n \\t or \\uXXXX)`, i);
        i++;
      } else if (c < " ") this.fail(`a string cannot hold a line break or control character: write \\n`, i);
    }
    return this.fail("this string is not closed: it needs a closing double quote");
  }

  private number(): number {
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail(`expected a number after "-", found ${this.found(this.at + 1)}`, this.at + 1);
    const end = this.at + m![0].length;
    const next = this.text[end];
    if (next !== undefined && ATOM_PART.test(next)) this.fail(`a number cannot go on with ${JSON.stringify(next)}`, end);
    this.at = end;
    return Number(m![0]);
  }

  private atom(): string {
    const start = this.at;
    while (this.at < this.text.length && ATOM_PART.test(this.text[this.at]!)) this.at++;
    return this.text.slice(start, this.at);
  }

  private pid(): { $pid: string } {
    const start = this.at;
    const end = this.text.indexOf(">", start);
    const text = end < 0 ? "" : this.text.slice(start, end + 1);
    const n = parsePid(text);
    if (n === undefined) this.fail("a pid is written <0.N.0>, like <0.84.0>", start);
    this.at = end + 1;
    return { $pid: formatPid(n!) };
  }

  private ref(): { $ref: string } {
    const start = this.at;
    const end = this.text.indexOf(">", start);
    const text = end < 0 ? "" : this.text.slice(start, end + 1);
    if (parseRef(text) === undefined) this.fail("a ref is written #Ref<0.S.H.L>, as the inspector shows one, like #Ref<0.0.0.7>", start);
    this.at = end + 1;
    return { $ref: text };
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  private eat(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }

  private found(at = this.at): string {
    if (at >= this.text.length) return "the end of the message";
    return JSON.stringify(this.text[at]);
  }

  private columnOf(at: number): number {
    return at - this.text.lastIndexOf("\n", at - 1);
  }

  private fail(reason: string, at = this.at): never {
    const line = this.text.slice(0, at).split("\n").length;
    throw new TermSyntaxError(line, this.columnOf(at), reason, this.text.includes("\n"));
  }
}
