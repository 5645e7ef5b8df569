// "non-preemptible": a scheduler stuck in one slice now, or a slice that ran long past its budget
// in a plain function, which JavaScript cannot preempt.

import type { Judgement, WarningDraft, WarningRule } from "./rule.js";

/** A slow slice stays listed this long after it ended (its scheduler tells only slices of SLOW_SLICE_MS or more). */
const SLICE_WARNING_MS = 10_000;
/** A slice running this long is reported while it runs. */
const STUCK_WARNING_MS = 500;

const SPLIT_WORK = "Move long work into a generator loop (it yields at loop heads) or split it into steps.";

export interface StuckScheduler {
  scheduler: number;
  pid: string;
  ms: number;
  /** Where the slice overran in a plain function, when the scheduler reported it. */
  site: string;
}

export class NonPreemptibleRule implements WarningRule {
  private slowSlices: { scheduler: number; pid: string; site: string; ms: number; at: number }[] = [];
  private stuck: readonly StuckScheduler[] = [];

  /** A slice on `scheduler` (1-based) that ran `ms` past the moment it used up its budget, in a plain function at `site`. */
  slice(scheduler: number, pid: string, site: string, ms: number, now: number): void {
    this.slowSlices = this.slowSlices.filter((s) => s.pid !== pid || s.site !== site);
    this.slowSlices.push({ scheduler, pid, site, ms, at: now });
  }

  /** The schedulers stuck in one slice as the latest sample found them. */
  stuckNow(stuck: readonly StuckScheduler[]): void {
    this.stuck = stuck;
  }

  judge(j: Judgement, warn: (draft: WarningDraft) => void): void {
    for (const stuck of this.stuck) {
      if (stuck.ms < STUCK_WARNING_MS) continue;
      warn({
        kind: "non-preemptible",
        pid: stuck.pid,
        scheduler: stuck.scheduler,
        site: stuck.site,
        measure: { value: Math.round(stuck.ms), unit: "ms" },
        message: stuck.site
          ? `Scheduler ${stuck.scheduler} has been stuck for ${Math.round(stuck.ms)} ms in ${stuck.pid}, in a plain function at ${stuck.site} that cannot be preempted.`
          : `Scheduler ${stuck.scheduler} has been running one slice of ${stuck.pid} for ${Math.round(stuck.ms)} ms; nothing else runs on it meanwhile.`,
        advice: SPLIT_WORK,
      });
    }
    this.slowSlices = this.slowSlices.filter((s) => j.now - s.at < SLICE_WARNING_MS);
    for (const s of this.slowSlices) {
      if (this.stuck.some((stuck) => stuck.pid === s.pid)) continue;
      warn({
        kind: "non-preemptible",
        pid: s.pid,
        scheduler: s.scheduler,
        site: s.site,
        measure: { value: Math.round(s.ms), unit: "ms" },
        heldUntil: s.at,
        message: `${s.pid} ran ${Math.round(s.ms)} ms past its budget in a plain function at ${s.site}, and scheduler ${s.scheduler} ran nothing else meanwhile.`,
        advice: SPLIT_WORK,
      });
    }
  }
}
