// Little-endian readers and writers over ArrayBuffers, with bounds checks that name what was
// being read, so that a truncated or malformed frame gets a clear error instead of garbage.

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export class FrameWriter {
  private buffer: ArrayBuffer;
  /** Valid until the next write that grows the buffer; for tight loops after reserve(). */
  view: DataView;
  private bytes: Uint8Array;
  offset = 0;

  constructor(initialSize = 1024) {
    this.buffer = new ArrayBuffer(initialSize);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < this.offset + n) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.bytes.subarray(0, this.offset));
    this.buffer = next;
    this.view = new DataView(next);
    this.bytes = new Uint8Array(next);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.offset, v);
    this.offset += 1;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }

  f32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.offset, v, true);
    this.offset += 8;
  }

  /** Overwrites a u32 written earlier, e.g. a count known only at the end. */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** Makes room for `n` more bytes at once, before a run of writes. */
  reserve(n: number): void {
    this.ensure(n);
  }

  /** A UTF-8 string with a u32 byte length. */
  str(v: string): void {
    const data = encoder.encode(v);
    this.u32(data.length);
    this.ensure(data.length);
    this.bytes.set(data, this.offset);
    this.offset += data.length;
  }

  /** Bytes as they are, e.g. a whole frame inside another. */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.offset);
    this.offset += data.length;
  }

  /** Starts over, keeping the buffer: a writer reused for every frame touches no fresh memory. */
  reset(): void {
    this.offset = 0;
  }

  /** Appends what another writer wrote. */
  append(other: FrameWriter): void {
    this.ensure(other.offset);
    this.bytes.set(other.bytes.subarray(0, other.offset), this.offset);
    this.offset += other.offset;
  }

  /** The written bytes, as an ArrayBuffer of exactly that length. */
  finish(): ArrayBuffer {
    return this.buffer.slice(0, this.offset);
  }
}

export class FrameReader {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  offset = 0;

  constructor(
    data: ArrayBuffer | ArrayBufferView,
    /** Names the frame in error messages. */
    private readonly frameName = "frame",
  ) {
    const buffer = data instanceof ArrayBuffer ? data : data.buffer;
    const start = data instanceof ArrayBuffer ? 0 : data.byteOffset;
    const length = data.byteLength;
    this.view = new DataView(buffer, start, length);
    this.bytes = new Uint8Array(buffer, start, length);
  }

  get remaining(): number {
    return this.view.byteLength - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.view.byteLength) {
      throw new ProtocolError(
        `${this.frameName} is truncated: reading ${what} needs ${n} bytes at offset ${this.offset}, but the frame has ${this.view.byteLength} bytes`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  str(what: string): string {
    const length = this.u32(`${what} length`);
    this.need(length, what);
    let text: string;
    try {
      text = decoder.decode(this.bytes.subarray(this.offset, this.offset + length));
    } catch {
      throw new ProtocolError(`${this.frameName}: ${what} at offset ${this.offset} is not valid UTF-8`);
    }
    this.offset += length;
    return text;
  }

  /** The next `n` bytes as a view (no copy), e.g. a whole frame inside another. */
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const view = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return view;
  }

  /** A count of items that each take at least `minBytes`; refuses counts the frame cannot hold. */
  count(what: string, minBytes: number): number {
    const n = this.u32(`${what} count`);
    if (n * minBytes > this.remaining) {
      throw new ProtocolError(`${this.frameName}: ${what} count ${n} cannot fit in the ${this.remaining} bytes left at offset ${this.offset}`);
    }
    return n;
  }

  end(): void {
    if (this.remaining !== 0) throw new ProtocolError(`${this.frameName} has ${this.remaining} unexpected bytes after offset ${this.offset}`);
  }
}
