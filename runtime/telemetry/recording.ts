// The run's recording, on the main thread: what a viewer needs to draw the past when it connects
// late or after main ended (docs/protocol.md, section 5, "History"). It holds the SchedulerSamples
// frames the hub sent (the charts), the warnings that ended with their span and peak, and when
// main ended. Faults are replayed from FaultHistory, the latest message of each group. The
// recording is bounded by a cap in bytes: past it the oldest part goes first, and what went is
// counted and told to every viewer that connects, never dropped silently.

import { noneDropped, type EndedWarning, type RecordingDropped, type Warning } from "../../protocol/control.js";
import { WARNING_GAP_MS, warningKey } from "./warnings/warningRules.js";

/** The default cap (`--record-cap`): about 10 hours of samples of one scheduler at 250 ms (docs/protocol.md). */
export const DEFAULT_RECORD_CAP_BYTES = 64 * 1024 * 1024;
/** What one kept item costs besides its bytes: the object and the array slot that hold it. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** A queue that drops from its head in O(1): an array and the index of its oldest item. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    // The dropped slots are given back once they are half the array: amortized O(1).
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The items from the `skip`-th oldest on, oldest first. */
  from(skip: number): T[] {
    return this.items.slice(this.head + Math.max(0, skip));
  }
}

/** A recorded SchedulerSamples frame and its run time. */
export interface RecordedSample {
  /** The frame exactly as clients were sent it. */
  frame: ArrayBuffer;
  /** Its `time`: milliseconds since the run started. */
  time: number;
}

/** An ended warning and the bytes it is counted as (its JSON text and ENTRY_OVERHEAD_BYTES). */
interface RecordedWarning {
  warning: EndedWarning;
  bytes: number;
}

export class Recording {
  /** The SchedulerSamples frames sent to clients, oldest first. */
  private readonly samples = new Queue<RecordedSample>();
  /** Warnings that held and ended, oldest end first. */
  private readonly ended = new Queue<RecordedWarning>();
  /**
   * The warnings that held lately, by warningKey, with since when each is gone from the lists
   * (undefined while it holds): gone for WARNING_GAP_MS, it has ended, when it went.
   */
  private readonly current = new Map<string, { warning: Warning; goneSince: number | undefined; heldUntil: number | undefined }>();
  /** Bytes held now: every sample frame's and ended warning's bytes, each with ENTRY_OVERHEAD_BYTES. */
  bytes = 0;
  /**
   * Warnings that ended since the run started, dropped ones included: a client's position in the
   * ended warnings is a count of this kind, so that it is sent each one once (see endedSince).
   */
  endedTotal = 0;
  /** What the cap made the recording drop since the run started (samplesUntil -1: no sample). */
  readonly dropped: RecordingDropped = noneDropped();
  /** When main ended and whether it crashed; undefined while it runs. */
  mainExited: { at: number; crashed: boolean } | undefined;

  /** `capBytes`: the most bytes held; the oldest part is dropped (and counted) to stay within it. */
  constructor(readonly capBytes: number = DEFAULT_RECORD_CAP_BYTES) {
    if (!(capBytes > 0)) throw new RangeError(`a recording's cap must be above 0 bytes, got ${capBytes}`);
  }

  /** A SchedulerSamples frame the hub sends to clients now, taken at run time `time`. */
  sample(frame: ArrayBuffer, time: number): void {
    this.samples.push({ frame, time });
    this.bytes += frame.byteLength + ENTRY_OVERHEAD_BYTES;
    this.keepWithinCap();
  }

  /** How many samples it holds. */
  get sampleCount(): number {
    return this.samples.length;
  }

  /** The recorded sample frames, oldest first, as sent. */
  sampleFrames(): ArrayBuffer[] {
    return this.samples.from(0).map((s) => s.frame);
  }

  /** The recorded samples with their times, oldest first. */
  sampleEntries(): readonly RecordedSample[] {
    return this.samples.from(0);
  }

  /** An ended warning read back from a recording file (`beamline replay`), in its turn. */
  restoreEnded(warning: EndedWarning): void {
    const bytes = JSON.stringify(warning).length + ENTRY_OVERHEAD_BYTES;
    this.ended.push({ warning, bytes });
    this.bytes += bytes;
    this.endedTotal++;
    this.keepWithinCap();
  }

  /** What a recording file says was dropped before its first item (`beamline replay`). */
  restoreDropped(dropped: RecordingDropped): void {
    const d = this.dropped;
    d.samples += dropped.samples;
    d.warnings += dropped.warnings;
    d.bytes += dropped.bytes;
    d.samplesUntil = Math.max(d.samplesUntil, dropped.samplesUntil);
    d.keyframes += dropped.keyframes;
    d.deltas += dropped.deltas;
    d.processesUntil = Math.max(d.processesUntil, dropped.processesUntil);
    d.events += dropped.events;
    d.eventsUntil = Math.max(d.eventsUntil, dropped.eventsUntil);
    d.aggregates += dropped.aggregates;
  }

  /**
   * The warnings judged at run time `now`. One that has been gone from the lists for
   * WARNING_GAP_MS has ended, when it went, with its last text and peak; one that comes back
   * sooner holds on. A warning listed for a while after its event ends when the event last
   * happened: `heldUntil` says when that was (WarningRules.heldUntil). Returns how many ended.
   */
  warnings(list: readonly Warning[], now: number, heldUntil: (w: Warning) => number | undefined = () => undefined): number {
    const listed = new Set<string>();
    for (const w of list) {
      const key = warningKey(w);
      listed.add(key);
      this.current.set(key, { warning: w, goneSince: undefined, heldUntil: heldUntil(w) });
    }
    let ended = 0;
    for (const [key, c] of this.current) {
      if (listed.has(key)) continue;
      if (c.goneSince === undefined) c.goneSince = now;
      if (now - c.goneSince < WARNING_GAP_MS) continue;
      this.end(key, c.goneSince);
      ended++;
    }
    if (ended > 0) this.keepWithinCap();
    return ended;
  }

  /**
   * The run is over at run time `now`: every warning that still held, or had not been gone for
   * WARNING_GAP_MS yet, ends (when it went, or now), so that a recording of a finished run lists
   * it with its span. Returns how many ended.
   */
  endAll(now: number): number {
    const keys = [...this.current.keys()];
    for (const key of keys) this.end(key, this.current.get(key)!.goneSince ?? now);
    if (keys.length > 0) this.keepWithinCap();
    return keys.length;
  }

  /** Ends the held warning `key`, gone from the lists at `goneAt`. */
  private end(key: string, goneAt: number): void {
    const c = this.current.get(key)!;
    this.current.delete(key);
    const until = c.heldUntil === undefined ? goneAt : Math.max(c.warning.since, Math.min(goneAt, c.heldUntil));
    const warning: EndedWarning = { ...c.warning, until };
    const bytes = JSON.stringify(warning).length + ENTRY_OVERHEAD_BYTES;
    this.ended.push({ warning, bytes });
    this.bytes += bytes;
    this.endedTotal++;
  }

  /**
   * The ended warnings a client has not been sent, oldest first, given how many of all that ended
   * (endedTotal) it was sent before: 0 for a new client, which gets every one still recorded.
   */
  endedSince(seen: number): EndedWarning[] {
    const firstKept = this.endedTotal - this.ended.length;
    return this.ended.from(seen - firstKept).map((r) => r.warning);
  }

  /** Drops the oldest sample or ended warning, whichever is older, until the bytes fit the cap. */
  private keepWithinCap(): void {
    while (this.bytes > this.capBytes) {
      const sample = this.samples.peek();
      const warning = this.ended.peek();
      if (sample === undefined && warning === undefined) return;
      if (warning === undefined || (sample !== undefined && sample.time <= warning.warning.until)) {
        this.samples.shift();
        const bytes = sample!.frame.byteLength + ENTRY_OVERHEAD_BYTES;
        this.bytes -= bytes;
        this.dropped.samples++;
        this.dropped.bytes += bytes;
        this.dropped.samplesUntil = sample!.time;
      } else {
        this.ended.shift();
        this.bytes -= warning.bytes;
        this.dropped.warnings++;
        this.dropped.bytes += warning.bytes;
      }
    }
  }
}
