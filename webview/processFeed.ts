// Process pages and deltas reach the store a slice at a time: a delta of 20,000 records (or a
// keyframe page of 10,000) applied in one go takes 5–15 ms, enough to push a frame past 50 ms on a
// busy machine. Frames are applied in the order they came, each one whole before the next begins.

import type { ProcessFrameView } from "../protocol/frames.js";
import { SlicedJob } from "./slicedJob.js";
import type { ProcessStore } from "./store.js";

/** Records applied between clock reads: about a tenth of a millisecond. */
const RECORDS_STEP = 1024;
/** Past this many records waiting (two keyframes of a million), the rest is applied at once. */
const MAX_WAITING_RECORDS = 2_000_000;

export class ProcessFeed {
  private readonly queue: { frame: ProcessFrameView; at: number }[] = [];
  private waitingRecords = 0;
  private job: SlicedJob<void> | null = null;
  private draining: Generator<void, void, void> | null = null;

  constructor(
    private readonly store: ProcessStore,
    /** Called after each frame is applied whole, with the time it arrived. */
    private readonly applied: (frame: ProcessFrameView, at: number) => void,
  ) {}

  /** Queues a frame that arrived at `at` (performance.now()); rates are computed from that time. */
  push(frame: ProcessFrameView, at: number): void {
    this.queue.push({ frame, at });
    this.waitingRecords += frame.count + frame.updateCount;
    if (this.job === null) {
      const draining = (this.draining = this.drain());
      this.job = new SlicedJob(draining, () => (this.job = null));
    }
    // A hidden page draws no frames, and its timers may fire once a second or less: slices would
    // fall behind the deltas and keep them all in memory. So would a page that cannot keep up.
    if (document.hidden || this.waitingRecords > MAX_WAITING_RECORDS) this.applyAll();
  }

  private applyAll(): void {
    this.job?.cancel();
    this.job = null;
    const draining = this.draining;
    if (draining !== null) for (let r = draining.next(); !r.done; r = draining.next());
  }

  /** Drops what is not applied yet: the store was cleared for a new run. */
  clear(): void {
    this.job?.cancel();
    this.job = null;
    this.queue.length = 0;
    this.waitingRecords = 0;
  }

  private *drain(): Generator<void, void, void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const { frame, at } = next;
      const entries = frame.count + frame.updateCount;
      this.waitingRecords -= entries;
      // Room first, a column per slice: the frame's records then never grow the store in one go.
      yield* this.store.reserveInSteps(this.store.roomFor(frame));
      this.store.begin(frame);
      for (let i = 0; ; i += RECORDS_STEP) {
        const last = i + RECORDS_STEP >= entries;
        this.store.apply(frame, i, last ? entries : i + RECORDS_STEP, at);
        // The last records and the end in one slice: a frame drawn between them would show the
        // keyframe's full count with an order that is not rebuilt for it yet.
        if (last) break;
        yield;
      }
      this.store.end(frame);
      this.applied(frame, at);
      yield;
    }
  }
}
