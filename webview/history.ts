// Fixed-size ring buffers of recent samples: the charts read the last few minutes from here.

export class Ring {
  readonly values: Float64Array;
  private start = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length < this.capacity) this.values[(this.start + this.length++) % this.capacity] = v;
    else {
      this.values[this.start] = v;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th oldest value. */
  at(i: number): number {
    return this.values[(this.start + i) % this.capacity]!;
  }

  last(): number {
    return this.length === 0 ? 0 : this.at(this.length - 1);
  }

  max(): number {
    let m = 0;
    for (let i = 0; i < this.length; i++) m = Math.max(m, this.at(i));
    return m;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}

/** What one scheduler ran during one telemetry interval: the biggest few processes by reductions. */
export interface TimelineSlot {
  /** Milliseconds since the run started. */
  time: number;
  total: number;
  top: { pid: number; reductions: number }[];
  /** A non-preemptible slice in progress at the sample: the process that holds the scheduler. */
  stuckPid: number;
  stuckMs: number;
}
