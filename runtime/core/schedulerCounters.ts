// The always-on counters of one scheduler, in a SharedArrayBuffer: the scheduler thread writes
// them with plain stores, and the main thread reads them, even while the scheduler is stuck in a
// slice. Totals since the start; the main thread turns them into per-interval samples. Each
// scheduler thread has a buffer of its own, so no two threads write near each other.

import { MAILBOX_BUCKETS } from "../../protocol/frames.js";

export const Counter = {
  reductions: 0,
  slices: 1,
  sends: 2,
  receives: 3,
  /** Processes started on this scheduler, wherever the spawn call ran: the processes placed here. */
  spawns: 4,
  exits: 5,
  nonPreemptible: 6,
  /** Milliseconds spent running slices. */
  busyMs: 7,
  runQueue: 8,
  heapUsed: 9,
  processes: 10,
  waiting: 11,
  /** Messages in all mailboxes of this scheduler. */
  queued: 12,
  /** Processes that threw, and children restarted by supervisors (counted by telemetry's observers). */
  crashes: 13,
  restarts: 14,
  /**
   * Spawn calls made on this scheduler whose process started on another one (the balancer's
   * choice, or spawnOn): counted by the scheduler that made the call.
   */
  placedElsewhere: 15,
  /** Messages sent from this scheduler to a process on another one. */
  crossOut: 16,
  /** Messages that arrived from another scheduler for a process on this one. */
  crossIn: 17,
  /** Process counts by mailbox-length bucket, MAILBOX_BUCKETS of them. */
  histogram: 18,
} as const;

export const COUNTER_SLOTS = Counter.histogram + MAILBOX_BUCKETS;

export function newCounters(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(COUNTER_SLOTS * 8));
}
