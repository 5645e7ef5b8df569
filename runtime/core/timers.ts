// The scheduler's timer heap for `after` clauses: a binary min-heap ordered by deadline,
// with each entry knowing its index so that a receive that matched can cancel its timer in O(log n).

import type { Process } from "./process.js";

/**
 * A process's timer while its long timeout waits for the end of the batch to go into the heap
 * (Scheduler.armTimer): armed for its receive, in no heap yet.
 */
export const ARMING = Object.freeze({ arming: true } as const);

export class Timer {
  index = -1;
  constructor(
    readonly deadline: number,
    readonly process: Process,
  ) {}
}

export class TimerHeap {
  private readonly heap: (Timer | null)[] = [];
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** The earliest deadline, or Infinity when no timer is armed. */
  get nextDeadline(): number {
    return this.length > 0 ? this.heap[0]!.deadline : Infinity;
  }

  add(timer: Timer): void {
    const i = this.length++;
    timer.index = i;
    if (i < this.heap.length) this.heap[i] = timer;
    else this.heap.push(timer);
    this.up(i);
  }

  cancel(timer: Timer): void {
    const i = timer.index;
    if (i < 0) return;
    const n = --this.length;
    const last = this.heap[n]!;
    this.heap[n] = null;
    timer.index = -1;
    if (i < n) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(i);
    }
  }

  /** Removes and returns the earliest timer if its deadline is at or before `now`. */
  popDue(now: number): Timer | undefined {
    if (this.length === 0) return undefined;
    const top = this.heap[0]!;
    if (top.deadline > now) return undefined;
    this.cancel(top);
    return top;
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadline <= item.deadline) break;
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = item;
    item.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = this.length;
    const item = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1]!.deadline < heap[child]!.deadline) child++;
      const c = heap[child]!;
      if (c.deadline >= item.deadline) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = item;
    item.index = i;
  }
}
