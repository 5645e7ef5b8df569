// Long work without long tasks: a generator that yields every millisecond or so, run a few
// milliseconds per task. Sorting, applying deltas and scanning for the top lists all run this way,
// so a frame never waits for more than one slice.

/** Milliseconds of work per task: on a busy machine a slice can take twice as long on the clock. */
const BUDGET_MS = 4;

/** Runs a generator in slices of `budgetMs` per task until it returns. */
export class SlicedJob<T> {
  private cancelled = false;
  /** Milliseconds spent in the job's slices so far: its cost, without the waits between slices. */
  workMs = 0;
  constructor(
    private readonly job: Generator<void, T, void>,
    private readonly done: (result: T) => void,
    private readonly budgetMs = BUDGET_MS,
  ) {
    // Not synchronously: a job that finishes in its first slice would call `done` before the
    // caller has even stored the job (and the caller would then wait for it forever). Not in a
    // microtask either: jobs are started from the animation frame, whose time is for drawing.
    setTimeout(() => this.step(), 0);
  }

  cancel(): void {
    this.cancelled = true;
  }

  get running(): boolean {
    return !this.cancelled;
  }

  private step(): void {
    if (this.cancelled) return;
    const start = performance.now();
    const deadline = start + this.budgetMs;
    for (;;) {
      const r = this.job.next();
      if (r.done) {
        this.cancelled = true;
        this.workMs += performance.now() - start;
        this.done(r.value);
        return;
      }
      const now = performance.now();
      if (now >= deadline) {
        this.workMs += now - start;
        break;
      }
    }
    // A timeout rather than rAF: the job runs even when the page is hidden, and gives frames room.
    setTimeout(() => this.step(), 0);
  }
}
