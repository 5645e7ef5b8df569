// One scheduler's end of the mesh (docs/mesh.md): it writes envelopes into its rings to the other
// schedulers, reads the rings addressed to it, and sleeps on its doorbell when idle.
//
// A ring holds records: a 32-bit header (the payload's length, and a top bit that says more of the
// same envelope follows) and the payload, padded to 4 bytes. An envelope longer than half the ring
// is cut into several records, so that any envelope fits however small the ring. A record that does
// not fit before the ring's end leaves a WRAP header and starts again at the front. When the ring is
// full, the rest of the envelope and every later one to that peer wait in order in a local spill,
// which flush() empties first: nothing is dropped, nothing overtakes.
//
// Records are written at once but published by flush(), one store of the write index per batch;
// the doorbell is rung only for a peer that said it sleeps. Sleeping is: spin briefly, then set
// the sleeping flag, read the doorbell, check the rings once more, and wait for the doorbell to
// change. A peer publishes before it reads the flag, so one of the two sees the other (all these
// are sequentially consistent Atomics), and no envelope is left unseen by a sleeping scheduler.

import { doorbellSlot, RING_DATA_OFFSET, RING_READ, RING_WAITING, RING_WRITE, sleepingSlot, type MeshBuffers } from "./meshBuffers.js";
import { TermReader, TermWriter } from "./termCodec.js";

/** A record header's top bit: the envelope continues in the next record. */
const MORE = 0x80000000;
/** A header that says: the rest of the ring up to its end is unused, continue at the front. */
const WRAP = 0x7fffffff;

/** What crossed between this scheduler and one peer, for telemetry. */
export interface PeerStats {
  /** Envelopes to the peer, and their bytes (without record headers). */
  sent: number;
  sentBytes: number;
  /** Envelopes from the peer, and their bytes. */
  received: number;
  receivedBytes: number;
  /** Envelopes that found the ring full (or others already waiting) and waited in the spill. */
  spilled: number;
  /** Times this scheduler rang the peer's doorbell because the peer slept. */
  doorbells: number;
}

export interface MeshOptions {
  /** How long sleep() polls the rings before it waits on the doorbell, in microseconds (default 50). */
  spinMicros?: number;
  /**
   * Then blocks in Atomics.wait for up to this long before it waits with waitAsync (default 0:
   * never). Like the spin it holds up the thread's event loop for at most this long, but it gives
   * the core away: on a machine with more busy threads than cores a spinning peer takes the CPU
   * its partner needs, and a round trip measured 50 µs blocking against 170-250 µs spinning there
   * (docs/mesh.md). Keep it short: port messages wait meanwhile.
   */
  blockMicros?: number;
}

/** A ring's shared memory as either end sees it: the header of indexes, and the data area (a power of two). */
class RingEnd {
  readonly header: Int32Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  readonly mask: number;

  constructor(ring: SharedArrayBuffer) {
    this.header = new Int32Array(ring, 0, RING_DATA_OFFSET / 4);
    this.capacity = ring.byteLength - RING_DATA_OFFSET;
    this.data = new Uint8Array(ring, RING_DATA_OFFSET, this.capacity);
    this.view = new DataView(ring, RING_DATA_OFFSET, this.capacity);
    this.mask = this.capacity - 1;
  }
}

/** The end of a ring this scheduler writes. */
class Outbox extends RingEnd {
  /** The largest payload of one record: half the ring, so that a record always fits an empty ring. */
  readonly maxRecord: number;
  /** Where the next record goes; published to the consumer by flush(). */
  write = 0;
  published = 0;
  /** The consumer's read index as last loaded; loaded again only when the ring looks full. */
  read = 0;
  /** Envelopes (or the rest of one) waiting for room, oldest first; spill[spillHead] is partly written up to spillOffset. */
  spill: Uint8Array[] = [];
  spillHead = 0;
  spillOffset = 0;

  constructor(ring: SharedArrayBuffer) {
    super(ring);
    this.maxRecord = this.capacity / 2 - 4;
  }

  get spilling(): boolean {
    return this.spillHead < this.spill.length;
  }

  /** Writes bytes[from, to) as records while they fit; returns how far it got. */
  writeEnvelope(bytes: Uint8Array, from: number, to: number): number {
    let at = from;
    do {
      const n = Math.min(this.maxRecord, to - at);
      if (!this.writeRecord(bytes, at, n, at + n < to)) return at;
      at += n;
    } while (at < to);
    return to;
  }

  private writeRecord(bytes: Uint8Array, from: number, n: number, more: boolean): boolean {
    const size = 4 + ((n + 3) & ~3);
    let p = this.write & this.mask;
    const tail = this.capacity - p;
    const need = size <= tail ? size : tail + size;
    if (need > this.capacity - ((this.write - this.read) | 0)) {
      this.read = Atomics.load(this.header, RING_READ);
      if (need > this.capacity - ((this.write - this.read) | 0)) return false;
    }
    if (size > tail) {
      this.view.setUint32(p, WRAP, true);
      this.write = (this.write + tail) | 0;
      p = 0;
    }
    this.view.setUint32(p, more ? (n | MORE) >>> 0 : n, true);
    const data = this.data;
    const start = p + 4;
    if (n <= 64) for (let i = 0; i < n; i++) data[start + i] = bytes[from + i];
    else data.set(bytes.subarray(from, from + n), start);
    this.write = (this.write + size) | 0;
    return true;
  }

  /** Writes what the spill holds while it fits; returns whether the spill is empty. */
  writeSpill(): boolean {
    while (this.spillHead < this.spill.length) {
      const bytes = this.spill[this.spillHead];
      const at = this.writeEnvelope(bytes, this.spillOffset, bytes.length);
      if (at < bytes.length) {
        this.spillOffset = at;
        return false;
      }
      this.spillHead++;
      this.spillOffset = 0;
    }
    this.spill.length = 0;
    this.spillHead = 0;
    return true;
  }
}

/** The end of a ring this scheduler reads. */
class Inbox extends RingEnd {
  /** Where this scheduler has read to; published to the producer at the end of each drain. */
  read = 0;
  readonly reader: TermReader;
  /** The records of an envelope cut into several, gathered until its last record arrives. */
  gathered: Uint8Array = new Uint8Array(0);
  gatheredLength = 0;

  constructor(ring: SharedArrayBuffer) {
    super(ring);
    this.reader = new TermReader(this.data);
  }

  gather(from: number, n: number): void {
    if (this.gatheredLength + n > this.gathered.length) {
      const grown = new Uint8Array(Math.max(2 * this.gathered.length, this.gatheredLength + n, 256));
      grown.set(this.gathered.subarray(0, this.gatheredLength));
      this.gathered = grown;
    }
    this.gathered.set(this.data.subarray(from, from + n), this.gatheredLength);
    this.gatheredLength += n;
  }
}

/** One scheduler's end of the mesh; see the file's comment. */
export class Mesh {
  readonly count: number;
  readonly self: number;
  /** Per peer (indexed by its 0-based index; this scheduler's own entry stays zero). */
  readonly stats: PeerStats[] = [];
  private readonly control: Int32Array;
  private readonly outboxes: (Outbox | undefined)[] = [];
  private readonly inboxes: (Inbox | undefined)[] = [];
  private readonly writer = new TermWriter();
  private readonly gatheredReader = new TermReader();
  private readonly spinMicros: number;
  private readonly blockMicros: number;
  /** The peer of the envelope begun last, or -1. */
  private to = -1;
  /** The sender drain() reads first. */
  private firstSender = 0;

  constructor(buffers: MeshBuffers, self: number, options: MeshOptions = {}) {
    const { count } = buffers;
    if (!Number.isInteger(self) || self < 0 || self >= count) throw new RangeError(`mesh: self must be a scheduler index from 0 to ${count - 1}, got ${self}`);
    this.count = count;
    this.self = self;
    this.control = new Int32Array(buffers.control);
    this.spinMicros = options.spinMicros ?? 50;
    this.blockMicros = options.blockMicros ?? 0;
    for (let peer = 0; peer < count; peer++) {
      this.stats.push({ sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, spilled: 0, doorbells: 0 });
      this.outboxes.push(peer === self ? undefined : new Outbox(buffers.rings[self * count + peer]));
      this.inboxes.push(peer === self ? undefined : new Inbox(buffers.rings[peer * count + self]));
    }
  }

  /** Starts an envelope to scheduler `to` (0-based); write its content with the returned writer. */
  begin(to: number): TermWriter {
    if (this.outboxes[to] === undefined) {
      throw new RangeError(`mesh: scheduler ${this.self} cannot send to ${to}: peers are 0 to ${this.count - 1}, other than itself`);
    }
    this.to = to;
    this.writer.reset();
    return this.writer;
  }

  /**
   * Ends the envelope begun last. It goes into the ring, or, while the ring is full, into an
   * ordered spill that flush() empties first (never dropped, never reordered). It is published by
   * the next flush(). Returns whether it waits in the spill (the ring was full), so that a sender
   * can slow down.
   */
  end(): boolean {
    const to = this.to;
    if (to < 0) throw new Error("mesh: end() without begin()");
    this.to = -1;
    const out = this.outboxes[to]!;
    const writer = this.writer;
    const n = writer.pos;
    const stats = this.stats[to];
    stats.sent++;
    stats.sentBytes += n;
    if (!out.spilling) {
      const at = out.writeEnvelope(writer.bytes, 0, n);
      if (at === n) return false;
      out.spill.push(writer.bytes.slice(at, n));
    } else {
      out.spill.push(writer.bytes.slice(0, n));
    }
    stats.spilled++;
    return true;
  }

  /**
   * Drops the envelope begun last, for a sender whose term was unsendable: nothing of it reaches
   * the ring, which end() alone writes.
   */
  abort(): void {
    this.to = -1;
    this.writer.reset();
  }

  /** Whether envelopes wait in a spill for room in a ring (then flush() again after the next drain or sleep). */
  get spilling(): boolean {
    for (const out of this.outboxes) if (out?.spilling) return true;
    return false;
  }

  /**
   * Publishes what was written since the last flush, moving spilled envelopes into the rings first
   * as far as they fit, and rings the doorbell of peers that sleep. Called once per scheduler
   * batch and before going idle.
   */
  flush(): void {
    const control = this.control;
    for (let to = 0; to < this.count; to++) {
      const out = this.outboxes[to];
      if (out === undefined) continue;
      if (out.spilling && !out.writeSpill()) {
        // Ask the consumer to ring when it has made room, then look once more: it may have read
        // everything between our attempt and the flag, and would not ring.
        Atomics.store(out.header, RING_WAITING, 1);
        if (out.writeSpill()) Atomics.store(out.header, RING_WAITING, 0);
      }
      if (out.write === out.published) continue;
      Atomics.store(out.header, RING_WRITE, out.write);
      out.published = out.write;
      if (Atomics.load(control, sleepingSlot(to)) !== 0 && Atomics.compareExchange(control, sleepingSlot(to), 1, 0) === 1) {
        this.ring(to);
      }
    }
  }

  /**
   * Reads the envelopes that arrived, each sender's in order, at most `max` of them, and returns
   * how many. The reader is valid only during the call: decode the envelope before returning. With
   * a `max`, the next drain starts at the next sender, so that no sender waits behind a busy one.
   */
  drain(onEnvelope: (from: number, reader: TermReader) => void, max = Infinity): number {
    let delivered = 0;
    const count = this.count;
    const first = this.firstSender;
    for (let k = 0; k < count && delivered < max; k++) {
      const from = first + k < count ? first + k : first + k - count;
      const inbox = this.inboxes[from];
      if (inbox === undefined) continue;
      const end = Atomics.load(inbox.header, RING_WRITE);
      if (inbox.read === end) continue;
      if (max !== Infinity) this.firstSender = from + 1 < count ? from + 1 : 0;
      const { view, mask, capacity } = inbox;
      const stats = this.stats[from];
      try {
        while (inbox.read !== end && delivered < max) {
          const p = inbox.read & mask;
          const header = view.getUint32(p, true);
          if (header === WRAP) {
            inbox.read = (inbox.read + capacity - p) | 0;
            continue;
          }
          const n = header & WRAP;
          inbox.read = (inbox.read + 4 + ((n + 3) & ~3)) | 0;
          let reader: TermReader;
          let length: number;
          if (header >= MORE || inbox.gatheredLength > 0) {
            inbox.gather(p + 4, n);
            if (header >= MORE) continue;
            length = inbox.gatheredLength;
            inbox.gatheredLength = 0;
            reader = this.gatheredReader;
            reader.over(inbox.gathered, 0, length);
          } else {
            length = n;
            reader = inbox.reader;
            reader.at(p + 4, p + 4 + n);
          }
          delivered++;
          stats.received++;
          stats.receivedBytes += length;
          onEnvelope(from, reader);
        }
      } finally {
        Atomics.store(inbox.header, RING_READ, inbox.read);
        if (Atomics.load(inbox.header, RING_WAITING) !== 0 && Atomics.compareExchange(inbox.header, RING_WAITING, 1, 0) === 1) {
          this.ring(from);
        }
      }
    }
    return delivered;
  }

  /** Whether an envelope waits to be drained, or a ring this scheduler spills into has made room. */
  ready(): boolean {
    for (let peer = 0; peer < this.count; peer++) {
      const inbox = this.inboxes[peer];
      if (inbox === undefined) continue;
      if (Atomics.load(inbox.header, RING_WRITE) !== inbox.read) return true;
      const out = this.outboxes[peer]!;
      if (out.spilling && Atomics.load(out.header, RING_READ) !== out.read) return true;
    }
    return false;
  }

  /**
   * For an idle scheduler: polls the rings for up to spinMicros, then waits on its doorbell
   * (Atomics.waitAsync: the thread's event loop keeps running) until a peer rings, wake() is
   * called, or `timeoutMs` passes. Then drain() and flush() again.
   */
  async sleep(timeoutMs: number): Promise<void> {
    if (this.spinMicros > 0) {
      const until = performance.now() + this.spinMicros / 1000;
      do {
        if (this.ready()) return;
      } while (performance.now() < until);
    }
    const control = this.control;
    const sleeping = sleepingSlot(this.self);
    const doorbell = doorbellSlot(this.self);
    Atomics.store(control, sleeping, 1);
    let seen = Atomics.load(control, doorbell);
    let timeout = Math.max(0, timeoutMs);
    if (this.blockMicros > 0 && !this.ready()) {
      const blockMs = Math.min(this.blockMicros / 1000, timeout);
      if (Atomics.wait(control, doorbell, seen, blockMs) !== "timed-out") {
        Atomics.store(control, sleeping, 0);
        return;
      }
      timeout -= blockMs;
      seen = Atomics.load(control, doorbell);
    }
    if (this.ready()) {
      Atomics.store(control, sleeping, 0);
      return;
    }
    const wait = waitAsync(control, doorbell, seen, timeout);
    if (wait.async) {
      // A pending waitAsync does not keep Node's event loop alive, so a timer ends the sleep: had it
      // only kept the loop alive, the loop could end between the timer and the wait's own timeout.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timer">((resolve) => (timer = setTimeout(resolve, Math.min(timeout, 2 ** 31 - 1), "timer")));
      if ((await Promise.race([wait.value, timedOut])) === "timer") this.ring(this.self);
      else clearTimeout(timer);
    }
    Atomics.store(control, sleeping, 0);
  }

  /** Ends this scheduler's sleep() early (for a wake-up that is not a peer's envelope, such as a port message). */
  wake(): void {
    this.ring(this.self);
  }

  private ring(index: number): void {
    Atomics.add(this.control, doorbellSlot(index), 1);
    Atomics.notify(this.control, doorbellSlot(index));
    if (index !== this.self) this.stats[index].doorbells++;
  }
}

/** Atomics.waitAsync (Node 16+), which the project's ES2022 library types do not declare yet. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;
