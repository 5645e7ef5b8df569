// The node-wide table of registered names, shared by every scheduler thread (docs/architecture.md).
//
// Each scheduler is a worker thread with its own heap, so the table lives in one SharedArrayBuffer
// that the main thread creates (createNameTableBuffer) and hands to every scheduler. It maps a name
// (at most MAX_NAME_BYTES bytes of UTF-8) to a pid id (a positive safe integer; 0 means none), and
// keeps the reverse index too, so that "a process holds at most one name" holds across threads and a
// process's own scheduler can free its name at exit even when another scheduler registered it.
//
// The choices, and why:
// - Fixed capacity: entries (hash, length, pid, name bytes) are allocated from a free list; the two
//   indexes (by name, by pid) are open-addressing arrays of entry numbers with linear probing, at
//   most half full, so a lookup touches a few adjacent words. The memory is reserved, not used:
//   the operating system maps a page only when an entry on it is first written.
// - Writers (register, unregister, release) take one lock: compareExchange, a bounded spin, then
//   Atomics.wait (a three-state futex mutex, so that an unlock notifies only when a thread waits).
//   A critical section runs no user code and no allocation of its own, so it is short.
// - Readers (whereis, nameOf) take no lock: a seqlock. Writers make a sequence number odd while they
//   change the table and even again after; a reader reads it, reads the entry, and retries if the
//   number changed or was odd. Every shared word is read and written with Atomics, which keeps the
//   reads from being reordered past the check on the platforms' weaker memory models. After a few
//   retries a reader takes the lock, so a writer descheduled mid-change cannot starve it. So readers
//   never write to shared memory, and senders by name on many threads do not contend.
// - Each thread remembers its answers while the sequence number stays the same, so that repeated
//   lookups of the same name (a loop that sends to a registered server) cost one atomic read.
// - Deletion shifts later entries of a probe run back (Knuth's algorithm R) instead of leaving
//   tombstones, so a table that churns never slows down and never needs a rebuild.
// Every operation is linearizable: a name registered on one thread is found by any thread that
// looks after the register returned.

export class RegistryError extends Error {
  override name = "RegistryError";
}

/** The most UTF-8 bytes a registered name may have (Erlang's atoms are at most 255 characters). */
export const MAX_NAME_BYTES = 255;
export const DEFAULT_NAME_CAPACITY = 64 * 1024;
/** As many names as Erlang has atoms by default; the memory is reserved, and used as names come. */
const MAX_CAPACITY = 1 << 20;
/** Int32 words per entry's name; one more byte than MAX_NAME_BYTES, so an encoder can overflow into it. */
const NAME_WORDS = (MAX_NAME_BYTES + 1) / 4;

// Header words. The lock, the sequence number and the fixed fields sit on separate 64-byte lines,
// so that threads spinning on the lock do not slow down readers of the sequence number.
const LOCK = 0;
const SEQ = 16;
const MAGIC = 32;
const CAPACITY = 33;
const SLOTS = 34;
const SCHEDULERS = 35;
const SIZE = 36;
/** Head of the free list of entries, entry number + 1 (0: empty). */
const FREE = 37;
/** Entries never used yet start here. */
const UNUSED = 38;
/** Per scheduler (index = pid id % schedulers): how many names its pids hold. */
const HELD = 48;
const MAGIC_VALUE = 0x6e616d65;

// An entry's words in `meta`: its name's hash, its name's length in bytes, its pid's low and high 32 bits.
const META_WORDS = 4;
const M_HASH = 0;
const M_LENGTH = 1;
const M_PID_LO = 2;
const M_PID_HI = 3;

const LOCK_SPINS = 100;
const READ_RETRIES = 64;
/** Answers a thread keeps between changes to the table (see NameTable.cachedAt). */
const MAX_CACHED = 4096;

interface Layout {
  headerWords: number;
  slots: number;
  bytes: number;
}

function layout(capacity: number, schedulers: number): Layout {
  const headerWords = Math.ceil((HELD + schedulers) / 16) * 16;
  let slots = 2;
  while (slots < capacity * 2) slots *= 2;
  const words = headerWords + 2 * slots + capacity * (META_WORDS + NAME_WORDS);
  return { headerWords, slots, bytes: words * 4 };
}

/**
 * The table's memory, for `schedulers` scheduler threads (pid id % schedulers is a pid's scheduler)
 * and at most `capacity` names at a time. Create it once, on the main thread, and pass it to every
 * scheduler (in workerData); each one wraps it in its own NameTable.
 */
export function createNameTableBuffer(schedulers: number, capacity = DEFAULT_NAME_CAPACITY): SharedArrayBuffer {
  if (!Number.isInteger(schedulers) || schedulers < 1) {
    throw new RangeError(`createNameTableBuffer: the scheduler count must be an integer >= 1, got ${String(schedulers)}`);
  }
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new RangeError(`createNameTableBuffer: the capacity must be an integer from 1 to ${MAX_CAPACITY} names, got ${String(capacity)}`);
  }
  const { slots, bytes } = layout(capacity, schedulers);
  const buffer = new SharedArrayBuffer(bytes);
  const header = new Int32Array(buffer);
  header[CAPACITY] = capacity;
  header[SLOTS] = slots;
  header[SCHEDULERS] = schedulers;
  header[MAGIC] = MAGIC_VALUE;
  return buffer;
}

const TWO_32 = 2 ** 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One thread's view of the shared table; see the header comment for how threads share it. */
export class NameTable {
  readonly capacity: number;
  readonly schedulers: number;
  /** The shared memory, for handing to another thread. */
  readonly buffer: SharedArrayBuffer;
  private readonly header: Int32Array<SharedArrayBuffer>;
  private readonly nameSlots: Int32Array<SharedArrayBuffer>;
  private readonly pidSlots: Int32Array<SharedArrayBuffer>;
  private readonly meta: Int32Array<SharedArrayBuffer>;
  private readonly names: Int32Array<SharedArrayBuffer>;
  private readonly mask: number;
  /** The name being looked up, encoded; padded with zero bytes to whole words. */
  private readonly bytes = new Uint8Array(NAME_WORDS * 4);
  private readonly words = new Int32Array(this.bytes.buffer);
  private hash = 0;
  /**
   * Answers of whereis and nameOf, valid while the sequence number is `cachedAt`: any change to the
   * table changes it, so a program that sends to a registered server in a loop reads one word and
   * a Map per send. (The number wraps after 2^31 changes; a thread would have to miss exactly a
   * multiple of that many to be fooled.)
   */
  private cachedAt = -1;
  private readonly holders = new Map<string, number>();
  private readonly namesOf = new Map<number, string | undefined>();

  constructor(buffer: SharedArrayBuffer) {
    const header = new Int32Array(buffer);
    if (buffer.byteLength < (HELD + 1) * 4 || header[MAGIC] !== MAGIC_VALUE) {
      throw new TypeError("NameTable: the buffer was not made by createNameTableBuffer");
    }
    this.capacity = header[CAPACITY]!;
    this.schedulers = header[SCHEDULERS]!;
    const { headerWords, slots, bytes } = layout(this.capacity, this.schedulers);
    if (buffer.byteLength !== bytes || header[SLOTS] !== slots) throw new TypeError("NameTable: the buffer's size does not match its header");
    this.buffer = buffer;
    this.header = header;
    this.mask = slots - 1;
    let offset = headerWords * 4;
    this.nameSlots = new Int32Array(buffer, offset, slots);
    offset += slots * 4;
    this.pidSlots = new Int32Array(buffer, offset, slots);
    offset += slots * 4;
    this.meta = new Int32Array(buffer, offset, this.capacity * META_WORDS);
    offset += this.capacity * META_WORDS * 4;
    this.names = new Int32Array(buffer, offset, this.capacity * NAME_WORDS);
  }

  /** How many names are registered, over all schedulers. */
  get size(): number {
    return Atomics.load(this.header, SIZE);
  }

  /**
   * Gives `name` to `pidId` if nobody holds it and that pid holds no other name. Returns 0 if it
   * did, the holder's id if the name is taken (the pid's own id if it holds this very name), or -1
   * if the pid holds another name (nameOf says which). Throws a RegistryError if the name is too
   * long or the table is full.
   */
  register(name: string, pidId: number): number {
    checkPidId("register", pidId);
    const length = this.encode(name);
    if (length < 0) checkNameLength(name);
    const hash = this.hash;
    this.lock();
    try {
      const nameSlot = this.findName(length, hash);
      if (nameSlot >= 0) return this.pidOf(this.nameSlots[nameSlot]! - 1);
      const pidSlot = this.findPid(pidId);
      if (pidSlot >= 0) return -1;
      const header = this.header;
      if (header[SIZE] === this.capacity) {
        throw new RegistryError(`register: cannot register ${quote(name)}: the node's name table is full (${this.capacity} names); unregister names that are no longer needed`);
      }
      let entry: number;
      const free = header[FREE]!;
      if (free !== 0) {
        entry = free - 1;
        header[FREE] = this.meta[entry * META_WORDS + M_HASH]!;
      } else entry = header[UNUSED]!++;
      Atomics.add(header, SEQ, 1);
      const meta = this.meta;
      const at = entry * META_WORDS;
      Atomics.store(meta, at + M_HASH, hash);
      Atomics.store(meta, at + M_LENGTH, length);
      Atomics.store(meta, at + M_PID_LO, pidId % TWO_32);
      Atomics.store(meta, at + M_PID_HI, Math.floor(pidId / TWO_32));
      const names = this.names;
      const words = this.words;
      const base = entry * NAME_WORDS;
      for (let i = 0, n = (length + 3) >>> 2; i < n; i++) Atomics.store(names, base + i, words[i]!);
      Atomics.store(this.nameSlots, ~nameSlot, entry + 1);
      Atomics.store(this.pidSlots, ~pidSlot, entry + 1);
      Atomics.add(header, SIZE, 1);
      Atomics.add(header, HELD + (pidId % this.schedulers), 1);
      Atomics.add(header, SEQ, 1);
      return 0;
    } finally {
      this.unlock();
    }
  }

  /** The id of the pid that holds `name`, or 0. */
  whereis(name: string): number {
    const header = this.header;
    if (Atomics.load(header, SEQ) === this.cachedAt) {
      const cached = this.holders.get(name);
      if (cached !== undefined) return cached;
    }
    const length = this.encode(name);
    if (length < 0) return 0;
    const hash = this.hash;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const seq = Atomics.load(header, SEQ);
      if ((seq & 1) !== 0) continue;
      const slot = this.findName(length, hash);
      const id = slot < 0 ? 0 : this.pidOf(Atomics.load(this.nameSlots, slot) - 1);
      if (Atomics.load(header, SEQ) === seq) {
        this.cacheAt(seq);
        this.holders.set(name, id);
        return id;
      }
    }
    this.lock();
    try {
      const slot = this.findName(length, hash);
      return slot < 0 ? 0 : this.pidOf(this.nameSlots[slot]! - 1);
    } finally {
      this.unlock();
    }
  }

  /** The name `pidId` holds, or undefined. */
  nameOf(pidId: number): string | undefined {
    const header = this.header;
    if (Atomics.load(header, HELD + (pidId % this.schedulers)) === 0) return undefined;
    if (Atomics.load(header, SEQ) === this.cachedAt && this.namesOf.has(pidId)) return this.namesOf.get(pidId);
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const seq = Atomics.load(header, SEQ);
      if ((seq & 1) !== 0) continue;
      const slot = this.findPid(pidId);
      const length = slot < 0 ? -1 : this.copyName(Atomics.load(this.pidSlots, slot) - 1);
      if (Atomics.load(header, SEQ) === seq) {
        const name = length < 0 ? undefined : this.decode(length);
        this.cacheAt(seq);
        this.namesOf.set(pidId, name);
        return name;
      }
    }
    this.lock();
    try {
      const slot = this.findPid(pidId);
      return slot < 0 ? undefined : this.decode(this.copyName(this.pidSlots[slot]! - 1));
    } finally {
      this.unlock();
    }
  }

  /** Frees `name` if `pidId` holds it; returns whether it did. */
  unregister(name: string, pidId: number): boolean {
    const length = this.encode(name);
    if (length < 0) return false;
    const hash = this.hash;
    this.lock();
    try {
      const slot = this.findName(length, hash);
      if (slot < 0 || this.pidOf(this.nameSlots[slot]! - 1) !== pidId) return false;
      this.remove(slot);
      return true;
    } finally {
      this.unlock();
    }
  }

  /** Frees `name`, whoever holds it; returns the holder's id, or 0 if nobody held it. */
  unregisterAny(name: string): number {
    const length = this.encode(name);
    if (length < 0) return 0;
    const hash = this.hash;
    this.lock();
    try {
      const slot = this.findName(length, hash);
      if (slot < 0) return 0;
      const id = this.pidOf(this.nameSlots[slot]! - 1);
      this.remove(slot);
      return id;
    } finally {
      this.unlock();
    }
  }

  /**
   * Frees the name `pidId` holds, if any (for a process that exits); returns whether it held one.
   * Costs one atomic read when no pid of its scheduler holds a name, and a lookup without the lock
   * when this one holds none.
   */
  release(pidId: number): boolean {
    const header = this.header;
    if (Atomics.load(header, HELD + (pidId % this.schedulers)) === 0) return false;
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const seq = Atomics.load(header, SEQ);
      if ((seq & 1) !== 0) continue;
      const held = this.findPid(pidId) >= 0;
      if (Atomics.load(header, SEQ) !== seq) continue;
      if (!held) return false;
      break;
    }
    this.lock();
    try {
      const pidSlot = this.findPid(pidId);
      if (pidSlot < 0) return false;
      const entry = this.pidSlots[pidSlot]! - 1;
      const at = entry * META_WORDS;
      this.remove(this.findName(this.meta[at + M_LENGTH]!, this.meta[at + M_HASH]!, entry));
      return true;
    } finally {
      this.unlock();
    }
  }

  /** Every registered name, over all schedulers. */
  registered(): string[] {
    const result: string[] = [];
    this.lock();
    try {
      for (let slot = 0; slot <= this.mask; slot++) {
        const entry = this.nameSlots[slot]! - 1;
        if (entry >= 0) result.push(this.decode(this.copyName(entry)));
      }
    } finally {
      this.unlock();
    }
    return result;
  }

  /** Every registered name with its holder's id, over all schedulers. */
  entries(): [name: string, pidId: number][] {
    const result: [string, number][] = [];
    this.lock();
    try {
      for (let slot = 0; slot <= this.mask; slot++) {
        const entry = this.nameSlots[slot]! - 1;
        if (entry >= 0) result.push([this.decode(this.copyName(entry)), this.pidOf(entry)]);
      }
    } finally {
      this.unlock();
    }
    return result;
  }

  /** Makes the cache hold answers read at sequence number `seq`: it drops older ones. */
  private cacheAt(seq: number): void {
    if (seq !== this.cachedAt || this.holders.size + this.namesOf.size > MAX_CACHED) {
      this.holders.clear();
      this.namesOf.clear();
      this.cachedAt = seq;
    }
  }

  /**
   * Encodes `name` into `bytes` (zero-padded to whole words) and sets `hash`; returns its length in
   * bytes, or -1 if it is longer than MAX_NAME_BYTES. Most names are ASCII, encoded here without
   * the TextEncoder.
   */
  private encode(name: string): number {
    const n = name.length;
    // A UTF-8 encoding is never shorter than the UTF-16 one.
    if (n > MAX_NAME_BYTES) return -1;
    const bytes = this.bytes;
    let hash = 0x811c9dc5;
    let length = n;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) {
        length = this.encodeUtf8(name);
        if (length < 0) return -1;
        hash = 0x811c9dc5;
        for (let j = 0; j < length; j++) hash = Math.imul(hash ^ bytes[j]!, 0x01000193);
        break;
      }
      bytes[i] = c;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    for (let i = length, end = (length + 3) & ~3; i < end; i++) bytes[i] = 0;
    this.hash = mix(hash);
    return length;
  }

  private encodeUtf8(name: string): number {
    // One byte more than allowed, so that a name that does not fit fills it.
    const { read, written } = encoder.encodeInto(name, this.bytes);
    return read < name.length || written > MAX_NAME_BYTES ? -1 : written;
  }

  /** Copies an entry's name into `bytes`; returns its length (clamped: a racing read may see anything). */
  private copyName(entry: number): number {
    if (entry < 0 || entry >= this.capacity) return 0;
    const length = Math.min(Math.max(Atomics.load(this.meta, entry * META_WORDS + M_LENGTH), 0), MAX_NAME_BYTES);
    const names = this.names;
    const words = this.words;
    const base = entry * NAME_WORDS;
    for (let i = 0, n = (length + 3) >>> 2; i < n; i++) words[i] = Atomics.load(names, base + i);
    return length;
  }

  private decode(length: number): string {
    return decoder.decode(this.bytes.subarray(0, length));
  }

  /**
   * The slot of the name in `bytes` (or, with `entry`, of that entry), or ~(the empty slot where it
   * would go). Bounded, and safe to run against a table that changes meanwhile.
   */
  private findName(length: number, hash: number, entry = -1): number {
    const slots = this.nameSlots;
    const meta = this.meta;
    const mask = this.mask;
    let slot = hash & mask;
    for (let probes = 0; probes <= mask; probes++, slot = (slot + 1) & mask) {
      const e = Atomics.load(slots, slot) - 1;
      if (e < 0) return ~slot;
      if (entry >= 0 ? e === entry : e < this.capacity && Atomics.load(meta, e * META_WORDS + M_HASH) === hash && Atomics.load(meta, e * META_WORDS + M_LENGTH) === length && this.sameName(e, length)) return slot;
    }
    return ~0;
  }

  private sameName(entry: number, length: number): boolean {
    const names = this.names;
    const words = this.words;
    const base = entry * NAME_WORDS;
    for (let i = 0, n = (length + 3) >>> 2; i < n; i++) if (Atomics.load(names, base + i) !== words[i]) return false;
    return true;
  }

  /** The slot of `pidId`'s entry, or ~(the empty slot where it would go). */
  private findPid(pidId: number): number {
    const slots = this.pidSlots;
    const mask = this.mask;
    let slot = pidHash(pidId) & mask;
    for (let probes = 0; probes <= mask; probes++, slot = (slot + 1) & mask) {
      const e = Atomics.load(slots, slot) - 1;
      if (e < 0) return ~slot;
      if (e < this.capacity && this.pidOf(e) === pidId) return slot;
    }
    return ~0;
  }

  private pidOf(entry: number): number {
    if (entry < 0 || entry >= this.capacity) return 0;
    const at = entry * META_WORDS;
    return Atomics.load(this.meta, at + M_PID_HI) * TWO_32 + (Atomics.load(this.meta, at + M_PID_LO) >>> 0);
  }

  /** Removes the entry at a name slot from both indexes and frees it; the caller holds the lock. */
  private remove(nameSlot: number): void {
    const header = this.header;
    const entry = this.nameSlots[nameSlot]! - 1;
    const pidId = this.pidOf(entry);
    const pidSlot = this.findPid(pidId);
    Atomics.add(header, SEQ, 1);
    this.shiftBack(this.nameSlots, nameSlot, (e) => this.meta[e * META_WORDS + M_HASH]!);
    this.shiftBack(this.pidSlots, pidSlot, (e) => pidHash(this.pidOf(e)));
    const at = entry * META_WORDS;
    Atomics.store(this.meta, at + M_PID_LO, 0);
    Atomics.store(this.meta, at + M_PID_HI, 0);
    Atomics.store(this.meta, at + M_LENGTH, 0);
    Atomics.store(this.meta, at + M_HASH, header[FREE]!);
    header[FREE] = entry + 1;
    Atomics.sub(header, SIZE, 1);
    Atomics.sub(header, HELD + (pidId % this.schedulers), 1);
    Atomics.add(header, SEQ, 1);
  }

  /**
   * Empties `slot` of a linear-probing index, moving later entries of its run back so that every
   * entry stays reachable from its home slot (Knuth, TAOCP vol. 3, 6.4, algorithm R).
   */
  private shiftBack(slots: Int32Array<SharedArrayBuffer>, slot: number, hashOf: (entry: number) => number): void {
    const mask = this.mask;
    let hole = slot;
    let next = slot;
    for (;;) {
      next = (next + 1) & mask;
      const e1 = slots[next]!;
      if (e1 === 0) break;
      const home = hashOf(e1 - 1) & mask;
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      Atomics.store(slots, hole, e1);
      hole = next;
    }
    Atomics.store(slots, hole, 0);
  }

  private lock(): void {
    const header = this.header;
    if (Atomics.compareExchange(header, LOCK, 0, 1) === 0) return;
    for (let spin = 0; spin < LOCK_SPINS; spin++) {
      if (Atomics.load(header, LOCK) === 0 && Atomics.compareExchange(header, LOCK, 0, 1) === 0) return;
    }
    // 2: locked, and a thread may wait; the unlock that finds 2 wakes one.
    while (Atomics.exchange(header, LOCK, 2) !== 0) Atomics.wait(header, LOCK, 2);
  }

  private unlock(): void {
    if (Atomics.exchange(this.header, LOCK, 0) === 2) Atomics.notify(this.header, LOCK, 1);
  }
}

/** Throws a RegistryError if `name` is longer than MAX_NAME_BYTES bytes of UTF-8. */
export function checkNameLength(name: string): void {
  // A UTF-8 character takes at most three bytes per UTF-16 unit, so short names need no count.
  if (name.length * 3 <= MAX_NAME_BYTES) return;
  const length = encoder.encode(name).length;
  if (length > MAX_NAME_BYTES) throw new RegistryError(`register: the name ${quote(name)} is ${length} bytes of UTF-8; a registered name is at most ${MAX_NAME_BYTES}`);
}

/** The number of a Pid, checked: the table stores positive safe integers. */
function checkPidId(what: string, pidId: number): void {
  if (!Number.isSafeInteger(pidId) || pidId <= 0) throw new TypeError(`${what}: a pid id must be a positive safe integer, got ${String(pidId)}`);
}

/** murmur3's finalizer: spreads FNV-1a's bits so that the low bits pick slots well. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function pidHash(id: number): number {
  return mix((id >>> 0) ^ Math.imul(Math.floor(id / TWO_32), 0x9e3779b1));
}

/** A name for an error message: quoted, and cut short if long. */
function quote(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}
