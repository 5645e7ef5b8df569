// What counts as a busy scheduler, for every view that counts them: the VS Code status bar's
// "2/2 busy" and the side panel's Schedulers section say the same of the same sample.

/** A scheduler is busy in a sample when it ran processes for at least half of the sample's interval. */
export const BUSY_UTILIZATION = 0.5;

/** How many schedulers of a sample were busy. */
export function busySchedulers(samples: readonly { utilization: number }[]): number {
  let busy = 0;
  for (const s of samples) if (s.utilization >= BUSY_UTILIZATION) busy++;
  return busy;
}
