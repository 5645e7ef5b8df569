// The shared memory of the mesh between schedulers (docs/mesh.md): one ring per ordered pair of
// schedulers, each with a single producer and a single consumer, and a control buffer with each
// scheduler's doorbell and sleeping flag. The main thread creates them and passes them to every
// scheduler thread in workerData.
//
// Every counter that one thread writes while another reads it sits on its own 64-byte cache line,
// so that a writer's stores do not keep invalidating the line its peer polls (false sharing).

/** Int32 slots in a 64-byte cache line. */
export const LINE = 16;

/**
 * A ring's header, in Int32 slots. The producer writes WRITE (published end of its records), the
 * consumer READ (where it has read to); the producer sets WAITING when records wait in its spill for
 * room, and the consumer clears it and rings the producer's doorbell when it has made room.
 */
export const RING_WRITE = 0;
export const RING_READ = LINE;
export const RING_WAITING = 2 * LINE;
/** The ring's data starts after the header's lines. */
export const RING_DATA_OFFSET = 4 * LINE * 4;

/** In the control buffer, scheduler i's doorbell and sleeping flag each have a line. */
export const doorbellSlot = (index: number): number => 2 * index * LINE;
export const sleepingSlot = (index: number): number => (2 * index + 1) * LINE;

/** 256 KiB a pair: a burst of small envelopes fits; a longer one spills in order (mesh.ts). */
export const DEFAULT_RING_BYTES = 256 * 1024;
/** The smallest data area: a record header and a little room, for tests that force spilling. */
export const MIN_RING_BYTES = 32;

export interface MeshBuffers {
  /** How many schedulers. */
  count: number;
  /** The ring from scheduler `from` to `to` (0-based) is rings[from * count + to]; a scheduler's ring to itself is empty. */
  rings: SharedArrayBuffer[];
  /** Doorbells and sleeping flags (doorbellSlot, sleepingSlot). */
  control: SharedArrayBuffer;
}

/**
 * Creates the buffers of a mesh of `count` schedulers. `ringBytes` is each ring's data area,
 * rounded up to a power of two so that positions wrap with a mask.
 */
export function createMeshBuffers(count: number, ringBytes = DEFAULT_RING_BYTES): MeshBuffers {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`mesh: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(ringBytes) || ringBytes < MIN_RING_BYTES || ringBytes > 2 ** 30) {
    throw new RangeError(`mesh: ringBytes must be an integer from ${MIN_RING_BYTES} to 2^30, got ${ringBytes}`);
  }
  const capacity = 2 ** Math.ceil(Math.log2(ringBytes));
  const rings: SharedArrayBuffer[] = [];
  for (let from = 0; from < count; from++) {
    for (let to = 0; to < count; to++) rings.push(new SharedArrayBuffer(from === to ? 0 : RING_DATA_OFFSET + capacity));
  }
  return { count, rings, control: new SharedArrayBuffer(2 * count * LINE * 4) };
}

/** Rings scheduler `index`'s doorbell, from any thread (the main thread, to wake a sleeping scheduler). */
export function ringDoorbell(buffers: MeshBuffers, index: number): void {
  const control = new Int32Array(buffers.control);
  Atomics.add(control, doorbellSlot(index), 1);
  Atomics.notify(control, doorbellSlot(index));
}
