// The process table at a moment of the past: a ProcessStore of its own, filled from the recording
// by a `seek` request (docs/protocol.md, section 9): its Past frame holds the keyframe at or before
// the moment and the deltas after it up to the moment, applied here as a live keyframe and deltas
// are applied to the live store. The live store goes on meanwhile, so that back to live is instant.
// The same answer carries the supervision tree recorded at or before the moment, kept here too.

import type { SeekResult, SupervisionTree } from "../protocol/control.js";
import { readProcessFrame, type PastFrameView } from "../protocol/frames.js";
import type { Connection } from "./connection.js";
import { SlicedJob } from "./slicedJob.js";
import { ProcessStore } from "./store.js";

/** Records applied between clock reads, as the live feed applies them (processFeed.ts). */
const RECORDS_STEP = 1024;

export type PastState =
  /** Live: nothing asked. */
  | { kind: "live" }
  | { kind: "loading"; time: number }
  /** The store holds the table at `time`, from the keyframe at `keyframeAt`. */
  | { kind: "ready"; time: number; keyframeAt: number }
  /** The recording holds no table for `time` (before its first keyframe, or dropped by its cap). */
  | { kind: "not-recorded"; time: number }
  /** The runtime refused or did not answer (an older runtime, the connection closed): `error` says why. */
  | { kind: "failed"; time: number; error: string };

/** The supervision tree at a moment of the past, from the same `seek`. */
export interface PastTree {
  /** The moment asked for. */
  time: number;
  /** When the recording took the tree, -1 with none. */
  at: number;
  /** Null when the recording holds none for the moment (before the first, or dropped by its cap). */
  tree: SupervisionTree | null;
}

export class PastProcesses {
  /** The table shown; the next answer is applied to the spare one, and then they swap. */
  store = new ProcessStore();
  private spare = new ProcessStore();
  state: PastState = { kind: "live" };
  /** The supervision tree of the last answer; null live, while loading the first, or when the runtime refused. */
  tree: PastTree | null = null;
  /** Bumped when the state changes, so that views redraw for it. */
  version = 0;
  /**
   * The moment wanted, null for none: the TimeCursor's, or a replay's end (a replay has no live
   * table). At most one request is in flight for it. While it is set, the views read this table.
   */
  wanted: number | null = null;
  private asking = false;
  /** The Past frame received last, applied when its `seek`'s response comes. */
  private received: PastFrameView | null = null;

  constructor(private readonly connection: Connection) {}

  /** Called every frame with the moment shown: asks for its table when it changed and no request is in flight. */
  want(time: number | null, intervalMs: number): void {
    this.store.intervalMs = this.spare.intervalMs = intervalMs;
    if (time === this.wanted) return;
    this.wanted = time;
    if (time === null) {
      this.tree = null;
      this.set({ kind: "live" });
      return;
    }
    if (!this.asking) void this.ask(time);
  }

  /** A Past frame: it answers the `seek` whose response follows it. */
  frame(frame: PastFrameView): void {
    this.received = frame;
  }

  /** The moment the store holds, or null when it holds none that is current. */
  get time(): number | null {
    return this.state.kind === "ready" ? this.state.time : null;
  }

  private async ask(time: number): Promise<void> {
    this.asking = true;
    if (this.state.kind !== "ready") this.set({ kind: "loading", time });
    const response = await this.connection.request({ type: "seek", time });
    const frame = this.received;
    this.received = null;
    // The moment moved on meanwhile (a drag, playing): ask for the latest one; this answer is shown until then.
    if (this.wanted === null) {
      this.asking = false;
      return;
    }
    if (!response.ok) {
      this.store.clear();
      this.tree = null;
      this.set({ kind: "failed", time, error: response.error });
    } else {
      const result = response.result as SeekResult;
      const tree = { time, at: result.supervisionAt, tree: result.supervision };
      if (!result.processes || frame === null || frame.requestId !== response.id) {
        this.store.clear();
        this.tree = tree;
        this.set({ kind: "not-recorded", time });
      } else {
        // In slices, into the spare store, shown once whole: a keyframe of a million processes
        // applied at once would freeze the page, and a half-applied one would flicker while playing.
        await new Promise<void>((resolve) => new SlicedJob(this.apply(this.spare, frame, result), resolve));
        [this.store, this.spare] = [this.spare, this.store];
        this.tree = tree;
        this.set({ kind: "ready", time, keyframeAt: result.keyframeAt });
      }
    }
    this.asking = false;
    if (this.wanted !== null && this.wanted !== time) void this.ask(this.wanted);
  }

  /**
   * Applies the keyframe and the deltas to a cleared store. Rates need each frame's time, which
   * the Past frame does not carry: every scheduler sends one delta per interval, so a scheduler's
   * last delta is taken to be at the moment asked for and each earlier one an interval before.
   */
  private *apply(store: ProcessStore, frame: PastFrameView, result: SeekResult): Generator<void, void, void> {
    store.clear();
    store.intervalMs = this.store.intervalMs;
    const views = frame.frames.flatMap((bytes) => {
      const view = readProcessFrame(bytes);
      return view === null ? [] : [view];
    });
    const later = new Map<number, number>();
    const times = new Array<number>(views.length);
    for (let i = views.length - 1; i >= 0; i--) {
      const v = views[i]!;
      if (v.type === "process-page") {
        times[i] = result.keyframeAt;
        continue;
      }
      const k = later.get(v.deltaScheduler) ?? 0;
      later.set(v.deltaScheduler, k + 1);
      times[i] = Math.max(result.keyframeAt, result.time - k * store.intervalMs);
    }
    for (let i = 0; i < views.length; i++) {
      const v = views[i]!;
      yield* store.reserveInSteps(store.roomFor(v));
      store.begin(v);
      const entries = v.count + v.updateCount;
      for (let from = 0; from < entries; from += RECORDS_STEP) {
        store.apply(v, from, Math.min(entries, from + RECORDS_STEP), times[i]!);
        yield;
      }
      store.end(v);
    }
  }

  private set(state: PastState): void {
    this.state = state;
    this.version++;
  }
}
