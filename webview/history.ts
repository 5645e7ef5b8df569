// The run's samples, one series per quantity: the charts draw the whole run from here, from the
// samples received live and the recorded ones a late viewer gets first (docs/protocol.md, section 5).

/** Points a series holds at most; then it halves its resolution (see Series). */
export const SERIES_POINTS = 4096;

/**
 * One quantity against run time (ms since the run started), over the whole run, in bounded memory:
 * every sample is a point until SERIES_POINTS, then neighbours merge pairwise (the mean of their
 * values, at the later one's time) and each later point is the mean of as many samples as an old
 * one. A chart of the whole run has fewer pixels than points anyway.
 */
export class Series {
  readonly times = new Float64Array(SERIES_POINTS);
  readonly values = new Float64Array(SERIES_POINTS);
  /** Whole points held. */
  length = 0;
  /** Samples per point. */
  private stride = 1;
  /** Samples of the point being filled, not yet a whole one: their sum, count and latest time. */
  private partSum = 0;
  private partCount = 0;
  private partTime = 0;
  /** The latest sample's value, for the numbers beside a chart. */
  private latest = 0;

  push(time: number, value: number): void {
    this.latest = value;
    this.partSum += value;
    this.partCount++;
    this.partTime = time;
    if (this.partCount < this.stride) return;
    if (this.length === SERIES_POINTS) this.halve();
    this.times[this.length] = time;
    this.values[this.length++] = this.partSum / this.partCount;
    this.partSum = 0;
    this.partCount = 0;
  }

  /** Points to draw: the whole ones, and the one being filled. */
  get points(): number {
    return this.length + (this.partCount > 0 ? 1 : 0);
  }

  time(i: number): number {
    return i < this.length ? this.times[i]! : this.partTime;
  }

  value(i: number): number {
    return i < this.length ? this.values[i]! : this.partSum / this.partCount;
  }

  last(): number {
    return this.latest;
  }

  /** The index of the last point at or before run time `time`; -1 when every point is later. */
  indexAt(time: number): number {
    let lo = 0;
    let hi = this.points - 1;
    if (hi < 0 || this.time(0) > time) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.time(mid) <= time) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The value at run time `time`: the point at or before it (the latest value at or after the last point); NaN before the first. */
  valueAt(time: number): number {
    const i = this.indexAt(time);
    if (i < 0) return NaN;
    return i === this.points - 1 ? this.latest : this.value(i);
  }

  /** The largest point from run time `from` to `to`. */
  max(from = -Infinity, to = Infinity): number {
    let m = 0;
    for (let i = 0; i < this.points; i++) {
      const t = this.time(i);
      if (t >= from && t <= to) m = Math.max(m, this.value(i));
    }
    return m;
  }

  clear(): void {
    this.length = 0;
    this.stride = 1;
    this.partSum = this.partCount = this.partTime = this.latest = 0;
  }

  /** Merges neighbouring points pairwise: half the points, each of twice as many samples. */
  private halve(): void {
    const half = this.length >> 1;
    for (let i = 0; i < half; i++) {
      this.times[i] = this.times[2 * i + 1]!;
      this.values[i] = (this.values[2 * i]! + this.values[2 * i + 1]!) / 2;
    }
    this.length = half;
    this.stride *= 2;
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
