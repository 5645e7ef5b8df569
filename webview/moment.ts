// The run at one moment, from what the model keeps of its whole run: the samples' numbers (the
// overview's counts and rates, each scheduler's utilization and run queue) and the warnings that
// held then. Live, the latest sample and the current warnings; in the past (the TimeCursor's `at`),
// the sample at or before that moment and the warnings whose span covers it.

import type { EndedWarning, Warning } from "../protocol/control.js";
import type { Model } from "./model.js";

export interface SchedulerMoment {
  utilization: number;
  runQueue: number;
  processes: number;
  /** A non-preemptible slice holding it at that sample (live only: the samples' series do not keep it). */
  stuckMs: number;
  stuckPid: number;
}

export interface SampleMoment {
  /** The sample's run time; -1 before the first. */
  time: number;
  processes: number;
  runnable: number;
  waiting: number;
  queued: number;
  messagesPerSecond: number;
  reductionsPerSecond: number;
  heap: number;
  /** Crashes and restarts up to that sample (the past only: live, the faults channel's totals are the run's). */
  crashes: number;
  restarts: number;
  schedulers: (SchedulerMoment | null)[];
}

/** The samples' numbers at run time `at` (the sample at or before it), or the latest with null; null before the first sample. */
export function samplesAt(m: Model, at: number | null): SampleMoment | null {
  if (at === null) {
    const s = m.summary;
    if (s === null) return null;
    return {
      time: m.lastSampleTime,
      processes: s.processes,
      runnable: s.runnable,
      waiting: s.waiting,
      queued: s.queued,
      messagesPerSecond: m.messagesPerSecond.last(),
      reductionsPerSecond: m.reductionsPerSecond.last(),
      heap: m.heap.last(),
      crashes: m.crashes,
      restarts: m.restarts,
      schedulers: m.schedulers.map((h) => (h.last === null ? null : { utilization: h.last.utilization, runQueue: h.last.runQueue, processes: h.last.processes, stuckMs: h.last.stuckMs, stuckPid: h.last.stuckPid })),
    };
  }
  const i = m.processes.indexAt(at);
  if (i < 0) return null;
  return {
    time: m.processes.time(i),
    processes: m.processes.valueAt(at),
    runnable: m.runnable.valueAt(at),
    waiting: m.waiting.valueAt(at),
    queued: m.queued.valueAt(at),
    messagesPerSecond: m.messagesPerSecond.valueAt(at),
    reductionsPerSecond: m.reductionsPerSecond.valueAt(at),
    heap: m.heap.valueAt(at),
    crashes: m.crashesSoFar.valueAt(at),
    restarts: m.restartsSoFar.valueAt(at),
    schedulers: m.schedulers.map((h) => {
      const utilization = h.utilization.valueAt(at);
      if (Number.isNaN(utilization)) return null;
      return { utilization, runQueue: h.runQueue.valueAt(at), processes: h.processes.valueAt(at), stuckMs: 0, stuckPid: 0 };
    }),
  };
}

/**
 * The warnings that held at run time `at`: the current ones that had started by then, and the past
 * ones whose span covers it (with `until`); live (null), the current ones.
 */
export function warningsAt(m: Model, at: number | null): (Warning | EndedWarning)[] {
  if (at === null) return m.warnings;
  return [...m.pastWarnings.filter((w) => w.since <= at && at <= w.until), ...m.warnings.filter((w) => w.since <= at)];
}

/** The sample time before (-1) or after (+1) run time `at`: one step of the timeline. */
export function stepSample(m: Model, at: number, direction: -1 | 1): number {
  const series = m.processes;
  const i = series.indexAt(at);
  if (direction < 0) {
    if (i < 0) return at;
    // Between two samples a step back goes to the one before; on a sample, to the one before it.
    return series.time(i) < at ? series.time(i) : series.time(Math.max(0, i - 1));
  }
  return i + 1 < series.points ? series.time(i + 1) : at;
}
