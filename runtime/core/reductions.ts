// The reduction budget shared between the scheduler and the code the loader instruments.
// Instrumented loops in process generators run `if (--__bl.r <= 0) yield __bl.P;`; plain functions
// only count, `if (--__bl.r < -GRACE) __bl.over(site)` with the run's budget as GRACE, because they
// cannot yield (docs/architecture.md).

/** Yielded by an instrumented loop when the slice's budget is spent: the process goes to the back of the run queue. */
export const PREEMPT = Symbol("beamline.preempt");
/** Yielded by receive when no message matches: the process waits for a message or its timer. */
export const WAIT = Symbol("beamline.wait");

export interface OverrunHook {
  (site: string, reductionsLeft: number): void;
}

/** The live counters of the running slice. One object per scheduler thread; plain stores only. */
export const budget = {
  /** Reductions left in the current slice. */
  r: 2000,
  /** Reductions counted before over() set `r` back, which the slice used all the same. */
  o: 0,
  /** What instrumented process loops yield. */
  P: PREEMPT,
  /** The site id of the spawn or waiting call being made, set by the instrumented call; 0 = unknown. */
  s: 0,
  /** Where the current slice first overran, or undefined. */
  overSite: undefined as string | undefined,
  /**
   * Called by a count-only check that finds the slice a grace past its end. The grace is a
   * constant in the check, not a field, so that each function call pays one load and compare less
   * (docs/performance.md, "The reduction count made cheaper"); `r` goes back to -1, so that the
   * process still yields at its next own check, and the check calls here again one grace later.
   */
  over(site: string): void {
    budget.o += -1 - budget.r;
    budget.r = -1;
    if (budget.overSite !== undefined) return;
    budget.overSite = site;
    budget.onOverrun(site, budget.r);
  },
  onOverrun: ((_site: string, _left: number) => {}) as OverrunHook,
};
