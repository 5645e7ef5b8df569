// Sorting a million keys without freezing the page: native sorts of small chunks, then merge passes,
// all in a generator that yields whenever its time slice is used up.

const CHUNK = 1 << 15;
/** How many elements to merge between clock reads (performance.now() is not free). */
const MERGE_STEP = 1 << 14;

/**
 * Sorts keys[0..n) ascending. Yields between steps; returns the array that holds the result
 * (keys itself or scratch).
 */
export function* slicedSort(keys: Float64Array, scratch: Float64Array, n: number): Generator<void, Float64Array, void> {
  for (let start = 0; start < n; start += CHUNK) {
    keys.subarray(start, Math.min(n, start + CHUNK)).sort();
    yield;
  }
  let from = keys;
  let to = scratch;
  for (let width = CHUNK; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(n, left + width);
      const right = Math.min(n, left + 2 * width);
      let i = left;
      let j = mid;
      let k = left;
      while (k < right) {
        const stop = Math.min(right, k + MERGE_STEP);
        while (k < stop) {
          if (i < mid && (j >= right || from[i]! <= from[j]!)) to[k++] = from[i++]!;
          else to[k++] = from[j++]!;
        }
        yield;
      }
    }
    const t = from;
    from = to;
    to = t;
  }
  return from;
}

/** Runs a generator in slices of `budgetMs` per animation frame until it returns. */
export class SlicedJob<T> {
  private cancelled = false;
  constructor(
    private readonly job: Generator<void, T, void>,
    private readonly done: (result: T) => void,
    private readonly budgetMs = 8,
  ) {
    this.step();
  }

  cancel(): void {
    this.cancelled = true;
  }

  get running(): boolean {
    return !this.cancelled;
  }

  private step(): void {
    if (this.cancelled) return;
    const deadline = performance.now() + this.budgetMs;
    for (;;) {
      const r = this.job.next();
      if (r.done) {
        this.cancelled = true;
        this.done(r.value);
        return;
      }
      if (performance.now() >= deadline) break;
    }
    // A timeout rather than rAF: the job runs even when the page is hidden, and gives frames room.
    setTimeout(() => this.step(), 0);
  }
}
