// Which processes are alive, one bit per pid in shared memory per scheduler, so that `isAlive`
// answers at once for a pid of any scheduler, as the BEAM's process table does (docs/architecture.md,
// "Schedulers"). Only runs with more than one scheduler keep it. A pid's bit is set when its id is
// taken (a process started elsewhere is alive from the moment spawnOn returns its pid) and cleared
// when it exits. The buffers grow as ids grow, from any thread: a growable SharedArrayBuffer.

/** Bits of a scheduler's first buffer, and the most a buffer may grow to (2^31 pids). */
const INITIAL_BYTES = 4096;
const MAX_BYTES = 2 ** 28;

/** A growable SharedArrayBuffer; Node 20 has them, the project's ES2022 library types do not. */
type GrowableBuffer = SharedArrayBuffer & { grow(bytes: number): void };

export function newLiveness(count: number): SharedArrayBuffer[] {
  const Growable = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return Array.from({ length: count }, () => new Growable(INITIAL_BYTES, { maxByteLength: MAX_BYTES }));
}

export class Liveness {
  /** Length-tracking views: they see a buffer's growth whichever thread grew it. */
  private readonly bits: Int32Array[];

  constructor(
    private readonly buffers: SharedArrayBuffer[],
    private readonly count: number,
  ) {
    this.bits = buffers.map((b) => new Int32Array(b));
  }

  set(id: number): void {
    const owner = id % this.count;
    const k = (id - owner) / this.count;
    const word = Math.floor(k / 32);
    this.ensure(owner, word);
    Atomics.or(this.bits[owner]!, word, 1 << (k & 31));
  }

  clear(id: number): void {
    const owner = id % this.count;
    const k = (id - owner) / this.count;
    const word = Math.floor(k / 32);
    if (word >= this.bits[owner]!.length) return;
    Atomics.and(this.bits[owner]!, word, ~(1 << (k & 31)));
  }

  isAlive(id: number): boolean {
    const owner = id % this.count;
    const k = (id - owner) / this.count;
    const word = Math.floor(k / 32);
    const bits = this.bits[owner]!;
    return word < bits.length && (Atomics.load(bits, word) & (1 << (k & 31))) !== 0;
  }

  private ensure(owner: number, word: number): void {
    const buffer = this.buffers[owner] as GrowableBuffer;
    while (word * 4 >= buffer.byteLength) {
      const wanted = Math.min(MAX_BYTES, Math.max(buffer.byteLength * 2, (word + 1) * 4));
      if (wanted <= buffer.byteLength) throw new RangeError(`isAlive's table is full: more than ${MAX_BYTES * 8} pids on scheduler ${owner + 1}`);
      try {
        buffer.grow(wanted);
      } catch (error) {
        // Another thread grew it meanwhile, past what this one asked for: look again.
        if (buffer.byteLength < wanted) throw error;
      }
    }
  }
}
