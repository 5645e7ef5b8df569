// The heartbeat of one scheduler thread, in a SharedArrayBuffer that the main thread reads while
// the scheduler may be stuck in a slice (the watchdog) or asleep (the end of a run with several
// schedulers). The scheduler writes it with plain stores, and with Atomics where order matters.

export enum Heartbeat {
  /** Counts slices: the watchdog sees a scheduler stuck when it stays the same. */
  slice = 0,
  /** The running process's id, 0 between slices. */
  pid = 1,
  /** With other schedulers: 1 while this one has nothing to run and no timer armed. */
  idle = 2,
  /** With other schedulers: envelopes sent and received (core/peers.ts), each modulo 2^32. */
  sent = 3,
  received = 4,
  /** The slice whose overrun site is written after the slots (writeOverrunSite); -1 none yet. */
  overrunSlice = 5,
  /** How many bytes of that site, UTF-8. */
  overrunSiteBytes = 6,
  slots = 7,
}

/**
 * A slice of process `pid` begins. Here, not in the scheduler: the build compiles the enum's
 * members to numbers only in this file, and the scheduler writes these two slots every slice.
 */
export function beatSliceBegins(heartbeat: Int32Array<ArrayBufferLike>, pid: number): void {
  heartbeat[Heartbeat.slice]++;
  heartbeat[Heartbeat.pid] = pid;
}

/** The slice ended: the watchdog sees no process running. */
export function beatSliceEnds(heartbeat: Int32Array<ArrayBufferLike>): void {
  heartbeat[Heartbeat.pid] = 0;
}

/** Room for a site ("file:line") after the slots; a longer one is cut. */
const SITE_BYTES = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function newHeartbeat(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(Heartbeat.slots * 4 + SITE_BYTES);
  new Int32Array(buffer)[Heartbeat.overrunSlice] = -1;
  return buffer;
}

function siteBytes(heartbeat: Int32Array<ArrayBufferLike>): Uint8Array<ArrayBufferLike> {
  return new Uint8Array(heartbeat.buffer, Heartbeat.slots * 4, SITE_BYTES);
}

/**
 * Says where the running slice overran its budget in a plain function, for the watchdog to name
 * if the slice gets stuck. A shared write, not a message: most such slices end within a
 * millisecond (a Mandelbrot row), and a message for each cost a second core's worth of scaling
 * (docs/performance.md, "Overruns told without messages").
 */
export function writeOverrunSite(heartbeat: Int32Array<ArrayBufferLike>, site: string): void {
  heartbeat[Heartbeat.overrunSiteBytes] = encoder.encodeInto(site, siteBytes(heartbeat)).written;
  Atomics.store(heartbeat, Heartbeat.overrunSlice, heartbeat[Heartbeat.slice]!);
}

/** Where slice number `slice` overran, or "" if it did not (or its scheduler has moved on). */
export function readOverrunSite(heartbeat: Int32Array<ArrayBufferLike>, slice: number): string {
  if (Atomics.load(heartbeat, Heartbeat.overrunSlice) !== slice) return "";
  const site = decoder.decode(siteBytes(heartbeat).slice(0, heartbeat[Heartbeat.overrunSiteBytes]));
  // Read again: a later slice may have written its own site meanwhile.
  return Atomics.load(heartbeat, Heartbeat.overrunSlice) === slice ? site : "";
}
