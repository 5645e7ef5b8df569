// The binary encoding of terms that cross schedulers (docs/mesh.md). It accepts exactly what
// core/copy.ts copies, so a message sent to another scheduler arrives as the same term a local send
// would deliver; what copy.ts refuses, this refuses with the same UnsendableError, message and path
// (it asks copyTerm to name the failure).
//
// A term is a tag byte and its content, little-endian. Strings are Latin-1 (one byte a character)
// when every code unit fits, else UTF-16 code units: UTF-8 would turn a lone surrogate into U+FFFD,
// and the receiver must see the string the sender sent.

import { MAX_MESSAGE_DEPTH } from "../../protocol/control.js";
import { copyTerm, UnsendableError } from "../core/copy.js";
import { Pid, Ref } from "../core/terms.js";

const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Int32 = 4,
  Float64 = 5,
  ShortLatin1 = 6,
  Latin1 = 7,
  Utf16 = 8,
  BigInt = 9,
  Array = 10,
  Object = 11,
  NullProtoObject = 12,
  Map = 13,
  Set = 14,
  Bytes = 15,
  Pid = 16,
  Ref = 17,
  // Shorter forms of the common small values, so that more envelopes share a cache line.
  Uint8 = 18,
  SmallArray = 19,
  Pid32 = 20,
}

/** How a decoded pid becomes a Pid: the scheduler sets it to give its own Process for a local id. */
export type PidDecoder = (id: number) => Pid;

let decodePid: PidDecoder = (id) => new Pid(id);

/** Sets how this thread turns a decoded pid id into a Pid (per thread, like the scheduler). */
export function setPidDecoder(decoder: PidDecoder): void {
  decodePid = decoder;
}

/** Told of each pid the encoder writes (before the whole term is known to be sendable). */
export type PidEncodeHook = (pid: Pid) => void;

let onEncodePid: PidEncodeHook | undefined;

/**
 * Sets the hook told of every pid this thread encodes, or removes it: the scheduler uses it so that
 * a local process that crosses can be found by its id when a message comes back.
 */
export function setPidEncodeHook(hook: PidEncodeHook | undefined): void {
  onEncodePid = hook;
}

/** Thrown inside the encoder; term() turns it into copyTerm's UnsendableError for the whole value. */
const ENCODE_FAILED = Symbol("encode failed");

/** Strings this long or shorter are decoded a character at a time, which beats fromCharCode.apply. */
const SHORT_STRING = 24;

/** Writes terms and raw numbers into a buffer that grows as needed. */
export class TermWriter {
  private buffer: ArrayBuffer;
  private view: DataView;
  /** The written bytes are bytes[0, pos). */
  bytes: Uint8Array;
  pos = 0;

  constructor(initialBytes = 256) {
    this.buffer = new ArrayBuffer(initialBytes);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Forgets what was written; the buffer is kept for the next envelope. */
  reset(): void {
    this.pos = 0;
  }

  u8(v: number): void {
    if (this.pos + 1 > this.bytes.length) this.grow(1);
    this.bytes[this.pos++] = v;
  }

  u32(v: number): void {
    if (this.pos + 4 > this.bytes.length) this.grow(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    if (this.pos + 4 > this.bytes.length) this.grow(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    if (this.pos + 8 > this.bytes.length) this.grow(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A string without a tag: its length, a Latin-1 or UTF-16 flag, and its characters. */
  string(s: string): void {
    const n = s.length;
    if (this.pos + 5 + n > this.bytes.length) this.grow(5 + n);
    const start = this.pos;
    const bytes = this.bytes;
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return this.utf16(s, start);
      bytes[p++] = c;
    }
    bytes[start] = 0;
    this.view.setUint32(start + 1, n, true);
    this.pos = p;
  }

  private utf16(s: string, start: number): void {
    const n = s.length;
    this.pos = start;
    if (this.pos + 5 + 2 * n > this.bytes.length) this.grow(5 + 2 * n);
    const view = this.view;
    view.setUint8(start, 1);
    view.setUint32(start + 1, n, true);
    let p = start + 5;
    for (let i = 0; i < n; i++, p += 2) view.setUint16(p, s.charCodeAt(i), true);
    this.pos = p;
  }

  /**
   * Writes a term. Throws copyTerm's UnsendableError (the same message and path, `root` naming the
   * value) when any part of it is not a term; what was written of it is then taken back.
   */
  term(value: unknown, root = "msg"): void {
    const start = this.pos;
    try {
      this.value(value, 0);
    } catch (error) {
      if (error !== ENCODE_FAILED) throw error;
      this.pos = start;
      copyTerm(value, root);
      // copy.ts and this encoder accept the same values, so copyTerm has thrown; this is a guard.
      throw new UnsendableError(root, "cannot be encoded for another scheduler");
    }
  }

  private value(value: unknown, depth: number): void {
    switch (typeof value) {
      case "number":
        if ((value & 0xff) === value && (value !== 0 || 1 / value > 0)) {
          if (this.pos + 2 > this.bytes.length) this.grow(2);
          this.bytes[this.pos] = Tag.Uint8;
          this.bytes[this.pos + 1] = value;
          this.pos += 2;
        } else if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
          if (this.pos + 5 > this.bytes.length) this.grow(5);
          this.bytes[this.pos] = Tag.Int32;
          this.view.setInt32(this.pos + 1, value, true);
          this.pos += 5;
        } else {
          if (this.pos + 9 > this.bytes.length) this.grow(9);
          this.bytes[this.pos] = Tag.Float64;
          this.view.setFloat64(this.pos + 1, value, true);
          this.pos += 9;
        }
        return;
      case "string":
        return this.shortOrLongString(value);
      case "boolean":
        return this.u8(value ? Tag.True : Tag.False);
      case "undefined":
        return this.u8(Tag.Undefined);
      case "bigint":
        this.u8(Tag.BigInt);
        return this.string(value.toString(16));
      case "object":
        if (value === null) return this.u8(Tag.Null);
        return this.object(value, depth);
      default:
        throw ENCODE_FAILED;
    }
  }

  /** A string as a tagged value: up to 255 Latin-1 characters take a one-byte length. */
  private shortOrLongString(s: string): void {
    const n = s.length;
    if (n > 255) {
      this.u8(Tag.Latin1);
      return this.string(s);
    }
    if (this.pos + 2 + n > this.bytes.length) this.grow(2 + n);
    const start = this.pos;
    const bytes = this.bytes;
    let p = start + 2;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) {
        this.pos = start;
        this.u8(Tag.Latin1);
        return this.string(s);
      }
      bytes[p++] = c;
    }
    bytes[start] = Tag.ShortLatin1;
    bytes[start + 1] = n;
    this.pos = p;
  }

  private object(value: object, depth: number): void {
    if (depth > MAX_MESSAGE_DEPTH) throw ENCODE_FAILED;
    const next = depth + 1;
    if (Array.isArray(value)) {
      const n = value.length;
      if (n <= 0xff) {
        if (this.pos + 2 > this.bytes.length) this.grow(2);
        this.bytes[this.pos] = Tag.SmallArray;
        this.bytes[this.pos + 1] = n;
        this.pos += 2;
      } else {
        this.u8(Tag.Array);
        this.u32(n);
      }
      for (let i = 0; i < n; i++) this.value(value[i], next);
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      this.u8(proto === null ? Tag.NullProtoObject : Tag.Object);
      const countAt = this.pos;
      this.u32(0);
      let count = 0;
      for (const key in value) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key], next);
        count++;
      }
      this.view.setUint32(countAt, count, true);
      return;
    }
    if (value instanceof Pid) {
      if (onEncodePid !== undefined) onEncodePid(value);
      const id = value.id;
      if (id >>> 0 === id) {
        this.u8(Tag.Pid32);
        return this.u32(id);
      }
      this.u8(Tag.Pid);
      return this.f64(id);
    }
    if (value instanceof Ref) {
      this.u8(Tag.Ref);
      this.u32(value.scheduler);
      return this.f64(value.id);
    }
    if (value instanceof Uint8Array && proto === Uint8Array.prototype) {
      const n = value.length;
      this.u8(Tag.Bytes);
      this.u32(n);
      if (this.pos + n > this.bytes.length) this.grow(n);
      this.bytes.set(value, this.pos);
      this.pos += n;
      return;
    }
    if (value instanceof Map && proto === Map.prototype) {
      this.u8(Tag.Map);
      this.u32(value.size);
      for (const [k, v] of value) {
        this.value(k, next);
        this.value(v, next);
      }
      return;
    }
    if (value instanceof Set && proto === Set.prototype) {
      this.u8(Tag.Set);
      this.u32(value.size);
      for (const v of value) this.value(v, next);
      return;
    }
    throw ENCODE_FAILED;
  }

  private grow(atLeast: number): void {
    let size = this.bytes.length * 2;
    while (size < this.pos + atLeast) size *= 2;
    const buffer = new ArrayBuffer(size);
    const bytes = new Uint8Array(buffer);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.bytes = bytes;
  }
}

/** Reads terms and raw numbers from bytes[pos, end) of a buffer, shared or not. */
export class TermReader {
  private view: DataView;
  private bytes: Uint8Array;
  pos = 0;
  end = 0;

  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  /** Points the reader at bytes[pos, end) of the same buffer it reads. */
  at(pos: number, end: number): void {
    this.pos = pos;
    this.end = end;
  }

  /** Points the reader at another buffer. */
  over(bytes: Uint8Array, pos = 0, end = bytes.length): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.pos = pos;
    this.end = end;
  }

  u8(): number {
    return this.bytes[this.pos++];
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A string written by TermWriter.string. */
  string(): string {
    const wide = this.bytes[this.pos];
    const n = this.view.getUint32(this.pos + 1, true);
    this.pos += 5;
    return wide === 0 ? this.latin1(n) : this.utf16(n);
  }

  private latin1(n: number): string {
    const bytes = this.bytes;
    const start = this.pos;
    this.pos += n;
    if (n <= SHORT_STRING) {
      let s = "";
      for (let i = start; i < start + n; i++) s += String.fromCharCode(bytes[i]);
      return s;
    }
    let s = "";
    for (let i = start; i < start + n; i += 8192) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 8192, start + n)) as unknown as number[]);
    }
    return s;
  }

  private utf16(n: number): string {
    const view = this.view;
    let s = "";
    let chunk: number[] = [];
    for (let i = 0, p = this.pos; i < n; i++, p += 2) {
      chunk.push(view.getUint16(p, true));
      if (chunk.length === 8192) {
        s += String.fromCharCode.apply(null, chunk);
        chunk = [];
      }
    }
    this.pos += 2 * n;
    return s + String.fromCharCode.apply(null, chunk);
  }

  /** Reads a term written by TermWriter.term. */
  term(): unknown {
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case Tag.Uint8:
        return this.bytes[this.pos++];
      case Tag.Int32:
        return this.i32();
      case Tag.Float64:
        return this.f64();
      case Tag.ShortLatin1:
        return this.latin1(this.bytes[this.pos++]);
      case Tag.Latin1:
      case Tag.Utf16:
        return this.string();
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.BigInt: {
        const hex = this.string();
        return hex.charCodeAt(0) === 45 ? -BigInt("0x" + hex.slice(1)) : BigInt("0x" + hex);
      }
      case Tag.SmallArray:
      case Tag.Array: {
        const n = tag === Tag.SmallArray ? this.bytes[this.pos++] : this.u32();
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.term();
        return out;
      }
      case Tag.Object:
      case Tag.NullProtoObject: {
        const n = this.u32();
        const out: Record<string, unknown> = tag === Tag.Object ? {} : Object.create(null);
        for (let i = 0; i < n; i++) {
          const key = this.string();
          const value = this.term();
          // As in copy.ts: an own "__proto__" key stays an own key instead of setting the prototype.
          if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
          else out[key] = value;
        }
        return out;
      }
      case Tag.Pid32:
        return decodePid(this.u32());
      case Tag.Pid:
        return decodePid(this.f64());
      case Tag.Ref: {
        const scheduler = this.u32();
        return new Ref(scheduler, this.f64());
      }
      case Tag.Bytes: {
        const n = this.u32();
        const out = new Uint8Array(n);
        out.set(this.bytes.subarray(this.pos, this.pos + n));
        this.pos += n;
        return out;
      }
      case Tag.Map: {
        const n = this.u32();
        const out = new Map();
        for (let i = 0; i < n; i++) {
          const k = this.term();
          out.set(k, this.term());
        }
        return out;
      }
      case Tag.Set: {
        const n = this.u32();
        const out = new Set();
        for (let i = 0; i < n; i++) out.add(this.term());
        return out;
      }
      default:
        throw new RangeError(`mesh: unknown term tag ${tag} at byte ${this.pos - 1} of an envelope`);
    }
  }
}
