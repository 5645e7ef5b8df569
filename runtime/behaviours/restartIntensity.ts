// A supervisor's restart intensity: more than `intensity` restarts within `period` ms make it give
// up (docs/api.md, "Supervisors"). Restart times are kept in a queue that drops those older than
// the period, so a restart costs O(1) amortized however many children there are.

export class RestartIntensity {
  /** Restart times, oldest first, from `head` on. */
  private times: number[] = [];
  private head = 0;
  /** Every restart since the supervisor started. */
  total = 0;

  constructor(
    readonly intensity: number,
    readonly period: number,
  ) {}

  /**
   * Counts a restart at `now`; false when it is one too many. Like OTP, a restart counts while
   * `now - then <= period`.
   */
  add(now: number): boolean {
    this.total++;
    const times = this.times;
    times.push(now);
    while (now - times[this.head]! > this.period) this.head++;
    if (this.head > 64 && this.head * 2 > times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head <= this.intensity;
  }

  /** The restarts within the period as of the last one. */
  get recent(): number {
    return this.times.length - this.head;
  }
}
