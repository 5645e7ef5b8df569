// The process table, struct-of-arrays: one typed array per column, one slot per process, so a
// million processes cost a few dozen megabytes and a scan is a tight loop. Keyframe pages and
// deltas are applied in place; an ended process keeps its slot (as "exited") until the next index
// rebuild, so that a slot in an order on screen never changes identity, but the index drops its
// row at once.

import { PROCESS_STATUSES, type ProcessFrameView, type ProcessInfo } from "../protocol/frames.js";

/** Status codes: the protocol's statuses, then ours. */
export const STATUS_NAMES = [...PROCESS_STATUSES, "exited"] as const;
export const EXITED = STATUS_NAMES.indexOf("exited");
/** A slot with no process in it. */
export const FREE = 255;

/** The most processes the visualizer holds. */
export const MAX_SLOTS = 1 << 22;

/** The processes that ran during the last delta (their reductions grew), for the schedulers' timeline. */
export class Ran {
  count = 0;
  pid = new Uint32Array(1024);
  scheduler = new Uint16Array(1024);
  reductions = new Float64Array(1024);

  reset(max: number): void {
    this.count = 0;
    if (this.pid.length < max) {
      this.pid = new Uint32Array(max);
      this.scheduler = new Uint16Array(max);
      this.reductions = new Float64Array(max);
    }
  }

  add(pid: number, scheduler: number, reductions: number): void {
    const i = this.count++;
    this.pid[i] = pid;
    this.scheduler[i] = scheduler;
    this.reductions[i] = reductions;
  }
}

export class ProcessStore {
  capacity = 0;
  /** Slots in use or freed: every slot below this is scanned. */
  size = 0;
  live = 0;
  /** Bumped on every change: views and the index compare it to know whether to redraw or resort. */
  version = 0;
  /** Milliseconds between deltas: a process missing from deltas for two of them has a rate of 0. */
  intervalMs = 250;
  /** A keyframe is being received: some of its pages are applied, not all. */
  loading = false;
  /** Live processes the runtime has not listed yet (a spawn storm; later deltas bring them). */
  unlisted = 0;
  /** What ran in the last delta. */
  readonly ran = new Ran();
  /** Processes removed so far (a counter): the index drops ended rows from its order when it moves. */
  removals = 0;

  pid = new Uint32Array(0);
  status = new Uint8Array(0);
  scheduler = new Uint16Array(0);
  mailbox = new Uint32Array(0);
  reductions = new Float64Array(0);
  /** Reductions per second over the process's last change, and when that was (performance.now()). */
  rateValue = new Float32Array(0);
  changedAt = new Float64Array(0);
  memory = new Uint32Array(0);
  spawnSite = new Uint32Array(0);
  waitSite = new Uint32Array(0);
  fn = new Uint32Array(0);
  name = new Uint32Array(0);
  links = new Uint16Array(0);
  monitors = new Uint16Array(0);
  monitoredBy = new Uint16Array(0);
  trapExit = new Uint8Array(0);
  private seen = new Uint32Array(0);

  /** Interned function and registered names; a column holds their index. */
  readonly strings: string[] = [""];
  private readonly stringIds = new Map<string, number>([["", 0]]);

  private slotOfPid = new Int32Array(0);
  /** Freed slots, a stack in a typed array: a million of them are released at once when a storm ends. */
  private free = new Uint32Array(1024);
  private freeCount = 0;
  /** Ended processes whose slots may be reused once the index no longer shows them. */
  private pendingFree: number[] = [];
  private snapshot = -1;
  private generation = 0;
  /** The store's string ids of the strings of the frame being applied. */
  private frameStrings = new Uint32Array(0);

  constructor() {
    this.reserve(1024);
  }

  clear(): void {
    this.size = 0;
    this.live = 0;
    this.freeCount = 0;
    this.pendingFree = [];
    this.slotOfPid.fill(-1);
    this.snapshot = -1;
    this.loading = false;
    this.version++;
  }

  slotOf(pid: number): number {
    return pid < this.slotOfPid.length ? this.slotOfPid[pid]! : -1;
  }

  /** Reductions per second now: a process that did not change lately did not run. */
  rate(slot: number, now: number): number {
    return now - this.changedAt[slot]! > this.intervalMs * 2.5 ? 0 : this.rateValue[slot]!;
  }

  /**
   * Starts applying a keyframe page or a delta, read in place (no ProcessInfo per record); its
   * records follow in ranges (apply), then end(). Pages of one keyframe come in order; the first
   * one makes room for the whole keyframe at once.
   */
  begin(frame: ProcessFrameView): void {
    // The frame's string table, interned once per frame rather than once per record.
    const ids = (this.frameStrings = new Uint32Array(frame.strings.length));
    for (let i = 0; i < ids.length; i++) ids[i] = this.intern(frame.strings[i]!);
    if (frame.type === "process-page") {
      if (frame.snapshot !== this.snapshot) {
        this.snapshot = frame.snapshot;
        this.generation++;
      }
      this.reserve(frame.total);
      this.unlisted = 0;
    } else {
      this.ran.reset(frame.count + frame.updateCount);
    }
  }

  /**
   * Applies entries [from, to) of the frame begun last: its full records (0 to count - 1), then a
   * delta's update records. The processes of a delta that ran (their reductions grew) are added to
   * `ran` for the schedulers' timeline.
   */
  apply(f: ProcessFrameView, from: number, to: number, now: number): void {
    if (from < f.count) this.applyRecords(f, from, Math.min(to, f.count), now);
    if (to > f.count) this.applyUpdates(f, Math.max(from, f.count) - f.count, to - f.count, now);
  }

  /** Inserts or overwrites full records [from, to). */
  private applyRecords(f: ProcessFrameView, from: number, to: number, now: number): void {
    const ids = this.frameStrings;
    const delta = f.type === "process-delta";
    const generation = this.generation;
    for (let i = from; i < to; i++) {
      const pid = f.pid(i);
      const reductions = f.reductions(i);
      const scheduler = f.scheduler(i);
      let slot = this.slotOf(pid);
      if (slot < 0 || this.status[slot] === FREE) {
        slot = this.allocate(pid);
        this.reductions[slot] = reductions;
        this.rateValue[slot] = 0;
        this.changedAt[slot] = 0;
        this.live++;
      } else if (this.status[slot] === EXITED) {
        // A removal raced a keyframe page: the process is alive after all.
        this.live++;
        this.reductions[slot] = reductions;
      } else {
        this.ranFor(slot, pid, scheduler, reductions, now, delta);
      }
      this.status[slot] = f.statusCode(i);
      this.scheduler[slot] = scheduler;
      this.mailbox[slot] = f.mailbox(i);
      this.memory[slot] = f.memory(i);
      this.spawnSite[slot] = f.spawnSite(i);
      this.waitSite[slot] = f.waitSite(i);
      this.fn[slot] = ids[f.fn(i)]!;
      this.name[slot] = ids[f.name(i)]!;
      this.links[slot] = f.links(i);
      this.monitors[slot] = f.monitors(i);
      this.monitoredBy[slot] = f.monitoredBy(i);
      this.trapExit[slot] = f.trapExit(i) ? 1 : 0;
      this.seen[slot] = generation;
    }
  }

  /**
   * Applies a delta's update records [from, to) to processes the store holds. The runtime only
   * updates processes a delta or this viewer's keyframe listed; one the store does not hold (it
   * was cleared for a new run meanwhile) waits for a keyframe.
   */
  private applyUpdates(f: ProcessFrameView, from: number, to: number, now: number): void {
    for (let i = from; i < to; i++) {
      const pid = f.updatePid(i);
      const slot = this.slotOf(pid);
      if (slot < 0) continue;
      const status = this.status[slot]!;
      if (status === FREE) continue;
      const reductions = f.updateReductions(i);
      if (status === EXITED) {
        this.live++;
        this.reductions[slot] = reductions;
      } else {
        this.ranFor(slot, pid, this.scheduler[slot]!, reductions, now, true);
      }
      this.status[slot] = f.updateStatusCode(i);
      this.mailbox[slot] = f.updateMailbox(i);
      this.memory[slot] = f.updateMemory(i);
      this.waitSite[slot] = f.updateWaitSite(i);
    }
  }

  /** A live process's new reduction count: its rate over at least one interval, and whether it ran. */
  private ranFor(slot: number, pid: number, scheduler: number, reductions: number, now: number, delta: boolean): void {
    const interval = this.intervalMs;
    const dr = reductions - this.reductions[slot]!;
    if (dr > 0) {
      // Over at least one interval: the time since the previous change, if it was recent.
      const dt = now - this.changedAt[slot]!;
      this.rateValue[slot] = (dr * 1000) / Math.max(interval, Math.min(dt, interval * 2.5));
      this.changedAt[slot] = now;
      if (delta) this.ran.add(pid, scheduler, dr);
    }
    this.reductions[slot] = reductions;
  }

  /**
   * Ends the frame begun last: a delta's removals; after a keyframe's last page, whatever the
   * keyframe did not mention has ended (missed while we lagged).
   */
  end(frame: ProcessFrameView): void {
    if (frame.type === "process-page") {
      this.loading = frame.page !== frame.pages - 1;
      if (!this.loading) {
        const status = this.status;
        const seen = this.seen;
        const generation = this.generation;
        for (let s = 0; s < this.size; s++) {
          const st = status[s]!;
          if (st !== FREE && st !== EXITED && seen[s] !== generation) this.remove(s);
        }
      }
    } else {
      this.unlisted = frame.unlisted;
      for (let i = 0; i < frame.removedCount; i++) {
        const slot = this.slotOf(frame.removed(i));
        if (slot >= 0 && this.status[slot] !== EXITED && this.status[slot] !== FREE) this.remove(slot);
      }
    }
    this.version++;
  }

  /** Makes room for `n` processes in one step instead of doubling page by page. */
  reserve(n: number): void {
    const steps = this.reserveInSteps(n);
    while (!steps.next().done);
  }

  /**
   * Makes room for `n` processes one column per step: growing all the columns of a million slots
   * at once copied 60 MB in one task and blocked the page for hundreds of milliseconds (issue 13
   * item 11). Between steps some columns are bigger than `capacity`, which changes only at the end.
   */
  *reserveInSteps(n: number): Generator<void, void, void> {
    if (n <= this.capacity) return;
    const capacity = Math.min(MAX_SLOTS, Math.max(n, this.capacity * 2));
    if (n > MAX_SLOTS) throw new Error(`the visualizer holds at most ${MAX_SLOTS} processes`);
    yield* this.grow(capacity);
  }

  /** Room for the new processes a frame may list, so that applying it never grows the columns in one go. */
  roomFor(frame: ProcessFrameView): number {
    return frame.type === "process-page" ? frame.total : this.size + Math.max(0, frame.count - this.freeCount);
  }

  /** Index rebuild finished: slots that ended before it started are no longer on screen. */
  takePendingFree(): number[] {
    const taken = this.pendingFree;
    this.pendingFree = [];
    return taken;
  }

  releaseSlots(slots: readonly number[]): void {
    if (this.freeCount + slots.length > this.free.length) {
      const bigger = new Uint32Array(Math.max(this.freeCount + slots.length, this.free.length * 2));
      bigger.set(this.free.subarray(0, this.freeCount));
      this.free = bigger;
    }
    const status = this.status;
    const pid = this.pid;
    const slotOfPid = this.slotOfPid;
    const free = this.free;
    let count = this.freeCount;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (status[s] !== EXITED) continue;
      status[s] = FREE;
      const p = pid[s]!;
      if (slotOfPid[p] === s) slotOfPid[p] = -1;
      free[count++] = s;
    }
    this.freeCount = count;
  }

  intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  info(slot: number): ProcessInfo & { statusName: string } {
    const code = this.status[slot]!;
    return {
      pid: this.pid[slot]!,
      status: PROCESS_STATUSES[code] ?? "exiting",
      statusName: STATUS_NAMES[code] ?? "free",
      scheduler: this.scheduler[slot]!,
      mailbox: this.mailbox[slot]!,
      reductions: this.reductions[slot]!,
      memory: this.memory[slot]!,
      spawnSite: this.spawnSite[slot]!,
      waitSite: this.waitSite[slot]!,
      fn: this.strings[this.fn[slot]!]!,
      name: this.strings[this.name[slot]!]!,
      links: this.links[slot]!,
      monitors: this.monitors[slot]!,
      monitoredBy: this.monitoredBy[slot]!,
      trapExit: this.trapExit[slot] === 1,
    };
  }

  private remove(slot: number): void {
    this.removals++;
    this.status[slot] = EXITED;
    this.mailbox[slot] = 0;
    this.live--;
    this.pendingFree.push(slot);
  }

  private allocate(pid: number): number {
    let slot = this.freeCount > 0 ? this.free[--this.freeCount] : undefined;
    if (slot === undefined) {
      if (this.size === this.capacity) this.reserve(this.capacity + 1);
      slot = this.size++;
    }
    if (pid >= this.slotOfPid.length) {
      const bigger = new Int32Array(Math.max(pid + 1, this.slotOfPid.length * 2));
      bigger.fill(-1);
      bigger.set(this.slotOfPid);
      this.slotOfPid = bigger;
    }
    this.slotOfPid[pid] = slot;
    this.pid[slot] = pid;
    return slot;
  }

  /** Grows each column to `capacity`, one per step; a column already that big (a step that ran) is kept. */
  private *grow(capacity: number): Generator<void, void, void> {
    const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(old: T, make: new (n: number) => T): T => {
      if (old.length >= capacity) return old;
      const next = new make(capacity);
      next.set(old as unknown as ArrayLike<number>);
      return next;
    };
    this.pid = g(this.pid, Uint32Array);
    yield;
    if (this.status.length < capacity) {
      const before = this.status.length;
      this.status = g(this.status, Uint8Array);
      this.status.fill(FREE, before);
    }
    yield;
    this.scheduler = g(this.scheduler, Uint16Array);
    this.mailbox = g(this.mailbox, Uint32Array);
    yield;
    this.reductions = g(this.reductions, Float64Array);
    yield;
    this.rateValue = g(this.rateValue, Float32Array);
    yield;
    this.changedAt = g(this.changedAt, Float64Array);
    yield;
    this.memory = g(this.memory, Uint32Array);
    this.spawnSite = g(this.spawnSite, Uint32Array);
    yield;
    this.waitSite = g(this.waitSite, Uint32Array);
    this.fn = g(this.fn, Uint32Array);
    yield;
    this.name = g(this.name, Uint32Array);
    this.links = g(this.links, Uint16Array);
    this.monitors = g(this.monitors, Uint16Array);
    this.monitoredBy = g(this.monitoredBy, Uint16Array);
    this.trapExit = g(this.trapExit, Uint8Array);
    yield;
    this.seen = g(this.seen, Uint32Array);
    if (this.slotOfPid.length === 0) this.slotOfPid = new Int32Array(capacity).fill(-1);
    this.capacity = Math.max(this.capacity, capacity);
  }

}
