// The FIFO run queue, linked through the processes themselves (`nextRun`): push and shift are
// O(1), allocate nothing and never copy, however many processes wait (skynet queues a million).
// A runnable process is in the queue exactly once; one that was killed while queued stays linked
// until the scheduler shifts it and skips it.

import type { Process } from "./process.js";

export class RunQueue {
  private head: Process | null = null;
  private tail: Process | null = null;
  length = 0;

  push(p: Process): void {
    if (this.tail === null) this.head = p;
    else this.tail.nextRun = p;
    this.tail = p;
    this.length++;
  }

  shift(): Process | undefined {
    const p = this.head;
    if (p === null) return undefined;
    this.head = p.nextRun;
    if (this.head === null) this.tail = null;
    p.nextRun = null;
    this.length--;
    return p;
  }
}
