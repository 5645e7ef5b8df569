// The run's recording, on the main thread: what a viewer needs to draw the past when it connects
// late or after main ended, and to go back to any moment of it (docs/protocol.md, section 5, "The
// recording"). It holds the SchedulerSamples frames the hub sent (the charts), the warnings that
// ended with their span and peak, when main ended, the process table as keyframes and the deltas
// after each, the site aggregates, the trace events and the supervision tree as it changed. Faults are replayed from FaultHistory, the
// latest message of each group. The recording is bounded by a cap in bytes: past it the oldest
// part goes first, and what went is counted and told to every viewer that connects, never
// dropped silently.

import { EVENTS_LIMIT_DEFAULT, noneDropped, type EndedWarning, type EventsRequest, type EventsResult, type RecordingDropped, type SeekResult, type SupervisionTree, type Warning } from "../../protocol/control.js";
import { decodeFrame, readProcessFrame, type TraceEvent } from "../../protocol/frames.js";
import { WARNING_GAP_MS, warningKey } from "./warnings/warningRules.js";

/** The default cap (`--record-cap`): about 10 hours of samples of one scheduler at 250 ms (docs/protocol.md). */
export const DEFAULT_RECORD_CAP_BYTES = 64 * 1024 * 1024;
/** What one kept item costs besides its bytes: the object and the array slot that hold it. */
export const ENTRY_OVERHEAD_BYTES = 64;
/** The soonest a keyframe for the recording follows the one before (docs/protocol.md, section 5). */
export const RECORDING_KEYFRAME_MIN_MS = 10_000;
/** How soon the recording asks again for a keyframe that it could not get (a scheduler did not finish it). */
const KEYFRAME_RETRY_MS = 1_000;
/** What a process record takes in a keyframe page (docs/protocol.md, section 7), to estimate one's size. */
const KEYFRAME_BYTES_PER_PROCESS = 46;
/** The shares of the cap that the process table and the trace events may take at most, so that they never push the samples out. */
const PROCESS_SHARE = 1 / 2;
const EVENTS_SHARE = 1 / 4;
/** The share of the cap that supervision trees may take at most. */
const TREES_SHARE = 1 / 8;

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

  /** The newest item, or undefined when empty. */
  last(): T | undefined {
    return this.head < this.items.length ? this.items[this.items.length - 1] : undefined;
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

/** A recorded frame (a delta, site aggregates) and when the hub recorded it, on the samples' clock. */
export interface TimedFrame {
  frame: ArrayBuffer;
  time: number;
}

/**
 * One recorded keyframe and the deltas after it, up to the next keyframe: the process table from
 * `time` on. It is kept and dropped whole, since neither part is of use without the other.
 */
export interface RecordedSegment {
  /** When its last page came: the deltas recorded from then on apply to it. */
  time: number;
  pages: ArrayBuffer[];
  pageBytes: number;
  deltas: TimedFrame[];
  deltaBytes: number;
  /** When the recording stopped following the table with this segment's deltas (a keyframe it could not take); undefined while it does. */
  closedAt: number | undefined;
}

/** A recorded Events frame, with the span and count of its events. */
interface RecordedEvents {
  frame: ArrayBuffer;
  time: number;
  count: number;
  first: number;
  last: number;
}

/** A recorded supervision tree: its JSON text (what it is counted as) and when the hub recorded it. */
export interface RecordedTree {
  text: string;
  time: number;
}

/** What a `seek` finds: the frames of the Past frame that answers it, and its result. */
export interface Past {
  frames: ArrayBuffer[];
  result: SeekResult;
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
  /** The process table: keyframes with their deltas, oldest first; the last one is followed while `closedAt` is undefined. */
  private readonly segments = new Queue<RecordedSegment>();
  private processBytes = 0;
  /** A keyframe whose pages are coming: the deltas of schedulers whose part is done wait in `held`. */
  private building: { pages: ArrayBuffer[]; held: TimedFrame[]; heldBytes: number } | undefined;
  /** When the recording may ask for its next keyframe. */
  private nextKeyframeAt = 0;
  /** SiteAggregates frames as they changed, oldest first. */
  private readonly aggregates = new Queue<TimedFrame & { since: number }>();
  private aggregateBytes = 0;
  private readonly events = new Queue<RecordedEvents>();
  private eventBytes = 0;
  /** Trace events held now. */
  eventCount = 0;
  /** The node's supervision tree each time it changed, oldest first. */
  private readonly trees = new Queue<RecordedTree>();
  private treeBytes = 0;

  /** Whether the run is not recorded at all (`--record-cap 0`): nothing is kept, and nothing counts as dropped. */
  readonly off: boolean;

  /** `capBytes`: the most bytes held; the oldest part is dropped (and counted) to stay within it. 0: record nothing. */
  constructor(readonly capBytes: number = DEFAULT_RECORD_CAP_BYTES) {
    if (!(capBytes >= 0)) throw new RangeError(`a recording's cap must be 0 (no recording) or above, got ${capBytes}`);
    this.off = capBytes === 0;
  }

  /**
   * Whether the recording should take a keyframe now (run time `now`), with `processes` live and
   * `unlisted` of them in no frame yet (a spawn storm): it has none it follows, or the deltas since
   * its last outweigh it, or the processes no frame listed would; not sooner than
   * RECORDING_KEYFRAME_MIN_MS after the last. One that would take more than the process share of
   * the cap is not taken, and counted as dropped.
   */
  keyframeDue(now: number, processes: number, unlisted = 0): boolean {
    if (this.off || this.building !== undefined || now < this.nextKeyframeAt) return false;
    const open = this.openSegment();
    if (open !== undefined && open.deltaBytes <= open.pageBytes && unlisted * KEYFRAME_BYTES_PER_PROCESS <= open.pageBytes) return false;
    this.nextKeyframeAt = now + RECORDING_KEYFRAME_MIN_MS;
    if (processes * KEYFRAME_BYTES_PER_PROCESS > this.capBytes * PROCESS_SHARE) {
      this.dropped.keyframes++;
      return false;
    }
    return true;
  }

  /** A keyframe for the recording is on its way; its pages and the deltas that follow them come next. */
  keyframeStarted(): void {
    if (this.off) return;
    this.building = { pages: [], held: [], heldBytes: 0 };
  }

  /** A page of the keyframe on its way, in order. */
  keyframePage(page: ArrayBuffer): void {
    this.building?.pages.push(page);
  }

  /** A delta that follows the keyframe on its way (its scheduler's part is done), recorded at `time`. */
  heldDelta(frame: ArrayBuffer, time: number): void {
    if (this.building === undefined) return;
    this.building.held.push({ frame, time });
    this.building.heldBytes += frame.byteLength;
  }

  /** Bytes of the deltas held for the keyframe on its way. */
  get heldBytes(): number {
    return this.building?.heldBytes ?? 0;
  }

  /** The keyframe's last page came at run time `time`: from now on the recording follows it. */
  keyframeDone(time: number): RecordedSegment | undefined {
    const b = this.building;
    if (b === undefined) return undefined;
    this.building = undefined;
    this.closeOpenSegment(time);
    const pageBytes = b.pages.reduce((n, p) => n + p.byteLength + ENTRY_OVERHEAD_BYTES, 0);
    const deltaBytes = b.held.reduce((n, d) => n + d.frame.byteLength + ENTRY_OVERHEAD_BYTES, 0);
    const segment: RecordedSegment = { time, pages: b.pages, pageBytes, deltas: b.held, deltaBytes, closedAt: undefined };
    if (pageBytes + deltaBytes > this.capBytes * PROCESS_SHARE) {
      this.dropped.keyframes++;
      this.dropped.deltas += b.held.length;
      this.dropped.bytes += pageBytes + deltaBytes;
      this.dropped.processesUntil = Math.max(this.dropped.processesUntil, time);
      return undefined;
    }
    this.segments.push(segment);
    this.processBytes += pageBytes + deltaBytes;
    this.bytes += pageBytes + deltaBytes;
    this.keepWithinCap();
    return segment;
  }

  /** The keyframe on its way will not come (given up): the recording asks again soon. */
  keyframeAbandoned(now: number): void {
    this.building = undefined;
    this.nextKeyframeAt = Math.min(this.nextKeyframeAt, now + KEYFRAME_RETRY_MS);
  }

  /**
   * The deltas from now on no longer apply to the table the recording follows (every viewer was
   * sent a keyframe that listed new processes, and the recording could not take it): it stops
   * following it until its next keyframe, which it asks for soon.
   */
  tableLost(now: number): void {
    this.closeOpenSegment(now);
    this.nextKeyframeAt = Math.min(this.nextKeyframeAt, now + KEYFRAME_RETRY_MS);
  }

  /** A delta forwarded at run time `time`: it goes with the table the recording follows. Returns whether it was recorded. */
  delta(frame: ArrayBuffer, time: number): boolean {
    const open = this.openSegment();
    if (open === undefined) return false;
    const bytes = frame.byteLength + ENTRY_OVERHEAD_BYTES;
    open.deltas.push({ frame, time });
    open.deltaBytes += bytes;
    this.processBytes += bytes;
    this.bytes += bytes;
    this.keepWithinCap();
    return true;
  }

  private openSegment(): RecordedSegment | undefined {
    const last = this.segments.last();
    return last !== undefined && last.closedAt === undefined ? last : undefined;
  }

  private closeOpenSegment(time: number): void {
    const open = this.openSegment();
    if (open !== undefined) open.closedAt = time;
  }

  /**
   * The node's SiteAggregates frame sent at run time `time`: recorded when it differs from the
   * last one recorded; one first recorded less than `minGapMs` before is replaced, so a run with N
   * schedulers (a sum at each one's tick) records at most about one per interval. Returns whether
   * it was recorded.
   */
  siteAggregates(frame: ArrayBuffer, time: number, minGapMs: number): boolean {
    if (this.off) return false;
    const last = this.aggregates.last();
    if (last !== undefined && sameBytes(last.frame, frame)) return false;
    if (last !== undefined && time - last.since < minGapMs) {
      this.aggregateBytes += frame.byteLength - last.frame.byteLength;
      this.bytes += frame.byteLength - last.frame.byteLength;
      last.frame = frame;
      last.time = time;
    } else {
      const bytes = frame.byteLength + ENTRY_OVERHEAD_BYTES;
      this.aggregates.push({ frame, time, since: time });
      this.aggregateBytes += bytes;
      this.bytes += bytes;
    }
    this.keepWithinCap();
    return true;
  }

  /** The last SiteAggregates frame recorded, if any: a replay sends it on connect. */
  lastSiteAggregates(): ArrayBuffer | undefined {
    return this.aggregates.last()?.frame;
  }

  /** An Events frame sent at run time `time`; one without events is not recorded. Returns whether it was. */
  traceEvents(frame: ArrayBuffer, time: number): boolean {
    if (this.off) return false;
    const decoded = decodeFrame(frame);
    if (decoded.type !== "events" || decoded.events.length === 0) return false;
    const bytes = frame.byteLength + ENTRY_OVERHEAD_BYTES;
    this.events.push({ frame, time, count: decoded.events.length, first: decoded.events[0]!.time, last: decoded.events.at(-1)!.time });
    this.eventBytes += bytes;
    this.eventCount += decoded.events.length;
    this.bytes += bytes;
    this.keepWithinCap();
    return true;
  }

  /**
   * The node's supervision tree at run time `time` (docs/protocol.md, section 5, "Supervision
   * trees"): recorded when it differs from the last one recorded. Each scheduler sends its part at
   * most once a second (TREE_MIN_MS), so this is called that often at most per scheduler. Returns
   * the time it was recorded at, or -1 when it was not.
   */
  supervisionTree(tree: SupervisionTree, time: number): number {
    if (this.off) return -1;
    const text = JSON.stringify(tree);
    const last = this.trees.last();
    if (last !== undefined && last.text === text) return -1;
    // The schedulers' clocks differ a little: a seek scans the trees in time order.
    const at = last === undefined ? time : Math.max(time, last.time);
    const bytes = text.length + ENTRY_OVERHEAD_BYTES;
    // One over the share by itself would push out every tree before it, and then go too.
    if (bytes > this.capBytes * TREES_SHARE) {
      this.dropped.trees++;
      this.dropped.treesUntil = Math.max(this.dropped.treesUntil, at);
      this.dropped.bytes += bytes;
      return -1;
    }
    this.trees.push({ text, time: at });
    this.treeBytes += bytes;
    this.bytes += bytes;
    this.keepWithinCap();
    return at;
  }

  /** The supervision trees held, oldest first. */
  treeEntries(): readonly RecordedTree[] {
    return this.trees.from(0);
  }

  /** The run time of the oldest keyframe held, -1 none. */
  get processesFrom(): number {
    return this.segments.peek()?.time ?? -1;
  }

  /** The keyframes and their deltas held, oldest first (for writing the recording file anew). */
  processSegments(): readonly RecordedSegment[] {
    return this.segments.from(0);
  }

  /** The site aggregates held, oldest first. */
  siteAggregateEntries(): readonly TimedFrame[] {
    return this.aggregates.from(0);
  }

  /** The Events frames held with when they were recorded, oldest first. */
  eventEntries(): readonly TimedFrame[] {
    return this.events.from(0);
  }

  /**
   * The answer to `seek` (docs/protocol.md, sections 7 and 9): the keyframe at or before `time`,
   * its deltas up to `time`, the last site aggregates at or before `time`, and in its result the
   * last supervision tree at or before `time`.
   */
  seek(time: number): Past {
    const frames: ArrayBuffer[] = [];
    let segment: RecordedSegment | undefined;
    for (const s of this.segments.from(0)) {
      if (s.time > time) break;
      segment = s;
    }
    const processes = segment !== undefined && (segment.closedAt === undefined || time <= segment.closedAt);
    if (processes) {
      frames.push(...segment!.pages);
      for (const d of segment!.deltas) {
        if (d.time > time) break;
        frames.push(d.frame);
      }
    }
    let aggregates: ArrayBuffer | undefined;
    for (const a of this.aggregates.from(0)) {
      if (a.time > time) break;
      aggregates = a.frame;
    }
    if (aggregates !== undefined) frames.push(aggregates);
    let tree: RecordedTree | undefined;
    for (const t of this.trees.from(0)) {
      if (t.time > time) break;
      tree = t;
    }
    const supervision = tree === undefined ? null : (JSON.parse(tree.text) as SupervisionTree);
    return { frames, result: { time, keyframeAt: processes ? segment!.time : -1, frames: frames.length, processes, supervision, supervisionAt: tree?.time ?? -1 } };
  }

  /** The answer to `events` (docs/protocol.md, section 9): the recorded trace events that match, oldest first. */
  findEvents(request: EventsRequest): EventsResult {
    const from = request.from ?? -Infinity;
    const to = request.to ?? Infinity;
    const pids = request.pids === undefined ? undefined : new Set(request.pids);
    const kinds = request.kinds === undefined ? undefined : new Set<string>(request.kinds);
    const limit = request.limit ?? EVENTS_LIMIT_DEFAULT;
    const candidates: TraceEvent[] = [];
    for (const entry of this.events.from(0)) {
      if (entry.last < from || entry.first > to) continue;
      const decoded = decodeFrame(entry.frame);
      if (decoded.type !== "events") continue;
      for (const e of decoded.events) {
        if (e.time < from || e.time > to) continue;
        if (pids !== undefined && !pids.has(e.pid) && !pids.has(e.other)) continue;
        if (kinds !== undefined && !kinds.has(e.kind)) continue;
        candidates.push(e);
      }
    }
    const matching = request.text === undefined || request.text === "" ? candidates : this.matchText(candidates, request.text.toLowerCase());
    return { events: matching.slice(0, limit), total: matching.length, more: matching.length > limit, dropped: this.dropped.events };
  }

  /** The events whose text, or either end's function or registered name, contains `needle` (lower case). */
  private matchText(events: TraceEvent[], needle: string): TraceEvent[] {
    const unmatched = new Set<number>();
    for (const e of events) {
      if (e.text.toLowerCase().includes(needle)) continue;
      if (e.pid !== 0) unmatched.add(e.pid);
      if (e.other !== 0) unmatched.add(e.other);
    }
    const named = unmatched.size === 0 ? new Set<number>() : this.pidsNamed(unmatched, needle);
    return events.filter((e) => e.text.toLowerCase().includes(needle) || named.has(e.pid) || named.has(e.other));
  }

  /** Of `pids`, those whose function or registered name contains `needle`, as the recorded process table lists them. */
  private pidsNamed(pids: Set<number>, needle: string): Set<number> {
    const named = new Set<number>();
    for (const s of this.segments.from(0)) {
      for (const frame of [...s.pages, ...s.deltas.map((d) => d.frame)]) {
        const view = readProcessFrame(frame);
        if (view === null) continue;
        for (let i = 0; i < view.count; i++) {
          const pid = view.pid(i);
          if (!pids.has(pid) || named.has(pid)) continue;
          if (view.strings[view.fn(i)]!.toLowerCase().includes(needle) || view.strings[view.name(i)]!.toLowerCase().includes(needle)) named.add(pid);
        }
      }
    }
    return named;
  }

  /** A SchedulerSamples frame the hub sends to clients now, taken at run time `time`. */
  sample(frame: ArrayBuffer, time: number): void {
    if (this.off) return;
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
    d.trees += dropped.trees;
    d.treesUntil = Math.max(d.treesUntil, dropped.treesUntil);
  }

  /**
   * The warnings judged at run time `now`. One that has been gone from the lists for
   * WARNING_GAP_MS has ended, when it went, with its last text and peak; one that comes back
   * sooner holds on. A warning listed for a while after its event ends when the event last
   * happened: `heldUntil` says when that was (WarningRules.heldUntil). Returns how many ended.
   */
  warnings(list: readonly Warning[], now: number, heldUntil: (w: Warning) => number | undefined = () => undefined): number {
    if (this.off) return 0;
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

  /**
   * Keeps the process table, the events and the supervision trees within their shares of the cap,
   * and the whole within the cap, dropping the oldest first (docs/protocol.md, section 5): of the
   * part over its share, then of the whole, a sample by its time, an ended warning by its `until`,
   * a keyframe (with its deltas) by its time, site aggregates, events and trees by theirs.
   */
  private keepWithinCap(): void {
    while (this.processBytes > this.capBytes * PROCESS_SHARE && this.segments.length > 0) this.dropSegment();
    while (this.eventBytes > this.capBytes * EVENTS_SHARE && this.events.length > 0) this.dropEvents();
    while (this.treeBytes > this.capBytes * TREES_SHARE && this.trees.length > 0) this.dropTree();
    while (this.bytes > this.capBytes) {
      const candidates: [number | undefined, () => void][] = [
        [this.samples.peek()?.time, () => this.dropSample()],
        [this.ended.peek()?.warning.until, () => this.dropWarning()],
        [this.segments.peek()?.time, () => this.dropSegment()],
        [this.aggregates.peek()?.time, () => this.dropAggregates()],
        [this.events.peek()?.time, () => this.dropEvents()],
        [this.trees.peek()?.time, () => this.dropTree()],
      ];
      let oldest: [number, () => void] | undefined;
      for (const [time, drop] of candidates) if (time !== undefined && (oldest === undefined || time < oldest[0])) oldest = [time, drop];
      if (oldest === undefined) return;
      oldest[1]();
    }
  }

  private dropSample(): void {
    const sample = this.samples.shift()!;
    const bytes = sample.frame.byteLength + ENTRY_OVERHEAD_BYTES;
    this.bytes -= bytes;
    this.dropped.samples++;
    this.dropped.bytes += bytes;
    this.dropped.samplesUntil = sample.time;
  }

  private dropWarning(): void {
    const warning = this.ended.shift()!;
    this.bytes -= warning.bytes;
    this.dropped.warnings++;
    this.dropped.bytes += warning.bytes;
  }

  /** Drops the oldest keyframe with its deltas (the one the recording follows too, if it is the oldest: then it follows none until its next keyframe). */
  private dropSegment(): void {
    const segment = this.segments.shift()!;
    const bytes = segment.pageBytes + segment.deltaBytes;
    this.processBytes -= bytes;
    this.bytes -= bytes;
    this.dropped.keyframes++;
    this.dropped.deltas += segment.deltas.length;
    this.dropped.bytes += bytes;
    this.dropped.processesUntil = Math.max(this.dropped.processesUntil, segment.deltas.at(-1)?.time ?? segment.time);
  }

  private dropAggregates(): void {
    const a = this.aggregates.shift()!;
    const bytes = a.frame.byteLength + ENTRY_OVERHEAD_BYTES;
    this.aggregateBytes -= bytes;
    this.bytes -= bytes;
    this.dropped.aggregates++;
    this.dropped.bytes += bytes;
  }

  private dropTree(): void {
    const t = this.trees.shift()!;
    const bytes = t.text.length + ENTRY_OVERHEAD_BYTES;
    this.treeBytes -= bytes;
    this.bytes -= bytes;
    this.dropped.trees++;
    this.dropped.treesUntil = Math.max(this.dropped.treesUntil, t.time);
    this.dropped.bytes += bytes;
  }

  private dropEvents(): void {
    const e = this.events.shift()!;
    const bytes = e.frame.byteLength + ENTRY_OVERHEAD_BYTES;
    this.eventBytes -= bytes;
    this.eventCount -= e.count;
    this.bytes -= bytes;
    this.dropped.events += e.count;
    this.dropped.eventsUntil = Math.max(this.dropped.eventsUntil, e.last);
    this.dropped.bytes += bytes;
  }
}

/** Whether two frames have the same bytes. */
function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
