// The process table, struct-of-arrays: one typed array per column, one slot per process, so a
// million processes cost a few dozen megabytes and a scan is a tight loop. Keyframe pages and
// deltas are applied in place; ended processes stay visible (as "exited") until the next index
// rebuild, so that the rows on screen never change identity under the user.

import { PROCESS_STATUSES, type ProcessDeltaFrame, type ProcessInfo, type ProcessPageFrame } from "../protocol/frames.js";

/** Status codes: the protocol's statuses, then ours. */
export const STATUS_NAMES = [...PROCESS_STATUSES, "exited"] as const;
export const EXITED = STATUS_NAMES.indexOf("exited");
/** A slot with no process in it. */
export const FREE = 255;

const STATUS_CODE = new Map<string, number>(STATUS_NAMES.map((s, i) => [s, i]));

/** Slots are packed with sort keys into 53-bit integers (see processIndex.ts). */
export const MAX_SLOTS = 1 << 22;

/** A process that ran during the last delta, for the schedulers' timeline. */
export interface Ran {
  pid: number;
  scheduler: number;
  reductions: number;
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
  private seen = new Uint32Array(0);

  /** Interned function and registered names; a column holds their index. */
  readonly strings: string[] = [""];
  private readonly stringIds = new Map<string, number>([["", 0]]);

  private slotOfPid = new Int32Array(0);
  private readonly free: number[] = [];
  /** Ended processes whose slots may be reused once the index no longer shows them. */
  private pendingFree: number[] = [];
  private snapshot = -1;
  private generation = 0;

  constructor() {
    this.grow(1024);
  }

  clear(): void {
    this.size = 0;
    this.live = 0;
    this.free.length = 0;
    this.pendingFree = [];
    this.slotOfPid.fill(-1);
    this.snapshot = -1;
    this.version++;
  }

  slotOf(pid: number): number {
    return pid < this.slotOfPid.length ? this.slotOfPid[pid]! : -1;
  }

  /** Reductions per second now: a process that did not change lately did not run. */
  rate(slot: number, now: number): number {
    return now - this.changedAt[slot]! > this.intervalMs * 2.5 ? 0 : this.rateValue[slot]!;
  }

  applyPage(frame: ProcessPageFrame, now: number): void {
    if (frame.snapshot !== this.snapshot) {
      this.snapshot = frame.snapshot;
      this.generation++;
    }
    for (const p of frame.processes) this.upsert(p, now);
    // The last page: whatever the keyframe did not mention has ended (missed while we lagged).
    if (frame.page === frame.pages - 1) {
      for (let s = 0; s < this.size; s++) {
        if (this.status[s] !== FREE && this.status[s] !== EXITED && this.seen[s] !== this.generation) this.remove(s);
      }
    }
    this.version++;
  }

  /** Applies a delta; returns the processes that ran in it, by reductions. */
  applyDelta(frame: ProcessDeltaFrame, now: number): Ran[] {
    const ran: Ran[] = [];
    for (const p of frame.changed) {
      const slot = this.slotOf(p.pid);
      const before = slot >= 0 && this.status[slot] !== EXITED ? this.reductions[slot]! : p.reductions;
      this.upsert(p, now);
      if (p.reductions > before) ran.push({ pid: p.pid, scheduler: p.scheduler, reductions: p.reductions - before });
    }
    for (const pid of frame.removed) {
      const slot = this.slotOf(pid);
      if (slot >= 0 && this.status[slot] !== EXITED) this.remove(slot);
    }
    this.version++;
    return ran;
  }

  /** Index rebuild finished: slots that ended before it started are no longer on screen. */
  takePendingFree(): number[] {
    const taken = this.pendingFree;
    this.pendingFree = [];
    return taken;
  }

  releaseSlots(slots: readonly number[]): void {
    for (const s of slots) {
      if (this.status[s] !== EXITED) continue;
      this.status[s] = FREE;
      const p = this.pid[s]!;
      if (this.slotOf(p) === s) this.slotOfPid[p] = -1;
      this.free.push(s);
    }
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
    };
  }

  private upsert(p: ProcessInfo, now: number): void {
    let slot = this.slotOf(p.pid);
    if (slot < 0 || this.status[slot] === FREE) {
      slot = this.allocate(p.pid);
      this.reductions[slot] = p.reductions;
      this.rateValue[slot] = 0;
      this.changedAt[slot] = 0;
      this.live++;
    } else if (this.status[slot] === EXITED) {
      // A removal raced a keyframe page: the process is alive after all.
      this.live++;
    } else {
      const dt = now - this.changedAt[slot]!;
      const dr = p.reductions - this.reductions[slot]!;
      if (dr > 0) {
        // Over at least one interval: the time since the previous change, if it was recent.
        this.rateValue[slot] = (dr * 1000) / Math.max(this.intervalMs, Math.min(dt, this.intervalMs * 2.5));
        this.changedAt[slot] = now;
      }
      this.reductions[slot] = p.reductions;
    }
    this.status[slot] = STATUS_CODE.get(p.status) ?? 0;
    this.scheduler[slot] = p.scheduler;
    this.mailbox[slot] = p.mailbox;
    this.memory[slot] = p.memory;
    this.spawnSite[slot] = p.spawnSite;
    this.waitSite[slot] = p.waitSite;
    this.fn[slot] = this.intern(p.fn);
    this.name[slot] = this.intern(p.name);
    this.links[slot] = p.links;
    this.monitors[slot] = p.monitors;
    this.seen[slot] = this.generation;
  }

  private remove(slot: number): void {
    this.status[slot] = EXITED;
    this.mailbox[slot] = 0;
    this.live--;
    this.pendingFree.push(slot);
  }

  private allocate(pid: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.size === this.capacity) this.grow(this.capacity * 2);
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

  private grow(capacity: number): void {
    if (capacity > MAX_SLOTS) throw new Error(`the visualizer holds at most ${MAX_SLOTS} processes`);
    const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(old: T, make: new (n: number) => T): T => {
      const next = new make(capacity);
      next.set(old as unknown as ArrayLike<number>);
      return next;
    };
    this.pid = g(this.pid, Uint32Array);
    this.status = g(this.status, Uint8Array);
    this.status.fill(FREE, this.capacity);
    this.scheduler = g(this.scheduler, Uint16Array);
    this.mailbox = g(this.mailbox, Uint32Array);
    this.reductions = g(this.reductions, Float64Array);
    this.rateValue = g(this.rateValue, Float32Array);
    this.changedAt = g(this.changedAt, Float64Array);
    this.memory = g(this.memory, Uint32Array);
    this.spawnSite = g(this.spawnSite, Uint32Array);
    this.waitSite = g(this.waitSite, Uint32Array);
    this.fn = g(this.fn, Uint32Array);
    this.name = g(this.name, Uint32Array);
    this.links = g(this.links, Uint16Array);
    this.monitors = g(this.monitors, Uint16Array);
    this.seen = g(this.seen, Uint32Array);
    if (this.slotOfPid.length === 0) this.slotOfPid = new Int32Array(capacity).fill(-1);
    this.capacity = capacity;
  }
}
