// The heartbeat of one scheduler thread, in a SharedArrayBuffer that the main thread reads while
// the scheduler may be stuck in a slice (the watchdog) or asleep (the end of a run with several
// schedulers). The scheduler writes it with plain stores, and with Atomics where order matters.

export const Heartbeat = {
  /** Counts slices: the watchdog sees a scheduler stuck when it stays the same. */
  slice: 0,
  /** The running process's id, 0 between slices. */
  pid: 1,
  /** With other schedulers: 1 while this one has nothing to run and no timer armed. */
  idle: 2,
  /** With other schedulers: envelopes sent and received (core/peers.ts), each modulo 2^32. */
  sent: 3,
  received: 4,
  slots: 5,
} as const;

export function newHeartbeat(): SharedArrayBuffer {
  return new SharedArrayBuffer(Heartbeat.slots * 4);
}
