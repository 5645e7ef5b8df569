// When the status bar redraws: at most once a second, so that a storm of samples or warnings costs
// the editor little, except that a sample which changes how many schedulers are busy shows at once.
// Held back for up to a second, the busy count lagged the side panel, which draws every sample:
// "1/2 busy" beside S1 99% and S2 100%.

/** The least time between two redraws that change nothing of the busy count. */
export const STATUS_BAR_INTERVAL_MS = 1000;

export class StatusBarPacing {
  private lastRender = -Infinity;
  private shownBusy: string | undefined = undefined;

  /** How long to wait before drawing `busy` (the busy count and the total, "2/2"); 0: now. */
  delay(busy: string, now: number): number {
    if (busy !== this.shownBusy) return 0;
    return Math.max(0, this.lastRender + STATUS_BAR_INTERVAL_MS - now);
  }

  /** The status bar was drawn now, showing `busy`. */
  rendered(busy: string, now: number): void {
    this.lastRender = now;
    this.shownBusy = busy;
  }
}
