// The reduction budget shared between the scheduler and the code the loader instruments.
// Instrumented loops in process generators run `if (--__bl.r <= 0) yield __bl.P;`; plain functions
// only count, `if (--__bl.r < __bl.lim) __bl.over(site)`, because they cannot yield (docs/architecture.md).

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
  /** Below this, a plain function has overrun its slice and cannot be preempted. */
  lim: -2000,
  /** What instrumented process loops yield. */
  P: PREEMPT,
  /** The site id of the spawn or waiting call being made, set by the instrumented call; 0 = unknown. */
  s: 0,
  /** Where the current slice first overran, or undefined. */
  overSite: undefined as string | undefined,
  /** Called once per slice by count-only checks that find the slice overrun. */
  over(site: string): void {
    budget.overSite = site;
    budget.lim = -Infinity;
    budget.onOverrun(site, budget.r);
  },
  onOverrun: ((_site: string, _left: number) => {}) as OverrunHook,
};
