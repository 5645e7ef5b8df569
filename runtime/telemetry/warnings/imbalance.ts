// "imbalance": one scheduler busy with processes waiting to run while another is idle. On the BEAM
// an idle scheduler steals runnable processes from a busy one; in Beamline a process stays on the
// scheduler it started on (a suspended generator cannot move between threads), so the waiting
// processes cannot go where the time is. It cannot fire with one scheduler.

import type { SchedulerSample } from "../../../protocol/frames.js";
import type { Judgement, WarningDraft, WarningRule } from "./rule.js";

/** Samples in a row that must show the imbalance: a moment's difference is not one. */
export const IMBALANCE_SAMPLES = 4;
/** Average utilization over those samples at or above which a scheduler is busy, and at or below which one is idle. */
export const BUSY_UTILIZATION = 0.8;
export const IDLE_UTILIZATION = 0.2;
/** A run queue this long, more than RUN_QUEUE_RATIO times (another's + 1), is an imbalance at once. */
const LONG_RUN_QUEUE = 100;
const RUN_QUEUE_RATIO = 10;

const ADVICE =
  "Start the work from processes on different schedulers, or place it with spawnOn(schedulerId, fn), so that new processes spread out; a process that runs for long is best started where the time is free.";

export class ImbalanceRule implements WarningRule {
  /** The latest samples, oldest first, at most IMBALANCE_SAMPLES. */
  private window: SchedulerSample[][] = [];

  sampled(samples: readonly SchedulerSample[]): void {
    this.window.push([...samples]);
    if (this.window.length > IMBALANCE_SAMPLES) this.window.shift();
  }

  judge(_j: Judgement, warn: (draft: WarningDraft) => void): void {
    const latest = this.window.at(-1);
    if (latest === undefined || latest.length < 2) return;
    const n = latest.length;
    const util = new Array<number>(n).fill(0);
    const leastQueued = new Array<number>(n).fill(Infinity);
    const mostQueued = new Array<number>(n).fill(0);
    for (const samples of this.window) {
      for (let i = 0; i < n; i++) {
        const s = samples[i];
        if (s === undefined) continue;
        util[i]! += s.utilization / this.window.length;
        leastQueued[i] = Math.min(leastQueued[i]!, s.runQueue);
        mostQueued[i] = Math.max(mostQueued[i]!, s.runQueue);
      }
    }
    let busy = -1;
    let idle = -1;
    if (this.window.length === IMBALANCE_SAMPLES) {
      for (let i = 0; i < n; i++) {
        // Busy with processes waiting at every sample: work another scheduler could have run.
        if (util[i]! >= BUSY_UTILIZATION && leastQueued[i]! >= 1 && (busy < 0 || util[i]! > util[busy]! || (util[i] === util[busy] && leastQueued[i]! > leastQueued[busy]!))) busy = i;
        if (util[i]! <= IDLE_UTILIZATION && mostQueued[i] === 0 && (idle < 0 || util[i]! < util[idle]!)) idle = i;
      }
    }
    if (busy < 0 || idle < 0) {
      // A run queue far longer than another's is an imbalance whatever the utilization says.
      const queues = latest.map((s) => s.runQueue);
      const max = Math.max(...queues);
      const min = Math.min(...queues);
      if (max < LONG_RUN_QUEUE || max <= RUN_QUEUE_RATIO * (min + 1)) return;
      busy = queues.indexOf(max);
      idle = queues.indexOf(min);
    }
    const b = latest[busy]!;
    const i = latest[idle]!;
    warn({
      kind: "imbalance",
      scheduler: b.scheduler,
      measure: { value: b.runQueue, unit: "waiting to run" },
      message:
        `Scheduler ${b.scheduler} is busy (${percent(util[busy]!)} utilization, ${b.runQueue} processes waiting to run) while scheduler ${i.scheduler} is idle (${percent(util[idle]!)}, ${i.runQueue} waiting). ` +
        "A process stays on the scheduler it started on: unlike the BEAM, whose idle schedulers steal waiting processes, Beamline cannot move a suspended generator to another thread.",
      advice: ADVICE,
    });
  }
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
