// The processes table's order: the slots that pass the filter, sorted by one column. Rebuilt in
// time slices (processes are scanned, keyed and sorted a chunk at a time), so the table keeps
// scrolling on the old order while a new one is prepared for a million processes.

import { pidTyped } from "../protocol/control.js";
import { EXITED, FREE, STATUS_NAMES, type ProcessStore } from "./store.js";
import { SlicedJob } from "./slicedJob.js";
import { slicedRadixSort } from "./slicedSort.js";

export type SortColumn = "pid" | "name" | "fn" | "status" | "mailbox" | "rate" | "reductions" | "memory" | "scheduler" | "spawnSite";

export interface IndexQuery {
  sort: SortColumn;
  descending: boolean;
  /** Text matched against the pid, the registered name and the initial function. */
  text: string;
  /** Only processes with this status ("" for all). */
  status: string;
  /** Only processes spawned at or waiting at this site (null for all). */
  site: number | null;
  /** Only processes on this scheduler, 1-based (0 for all). */
  scheduler: number;
}

const KEY_MAX = 2 ** 31 - 1;
/** Rows scanned between clock reads while filtering and keying: a 32k-row step took up to 35 ms on a busy machine. */
const SCAN_STEP = 1 << 13;
/** Live data is resorted at most this often while the table is not shown. */
const HIDDEN_RESORT_MS = 3000;
/** Small tables are rebuilt synchronously: no slicing, no stale order. */
const SYNC_LIMIT = 20_000;

export class ProcessIndex {
  order: Uint32Array = new Uint32Array(0);
  /** The buffer the next order is built in (the previous order, swapped). */
  private spare: Uint32Array = new Uint32Array(0);
  length = 0;
  /** The store version the current order was built from. */
  builtFrom = -1;
  lastBuildMs = 0;
  private job: SlicedJob<Uint32Array> | null = null;
  /** Sort keys and the slots they belong to, and the radix sort's second pair of buffers. */
  private keys = new Uint32Array(0);
  private slots = new Uint32Array(0);
  private keyScratch = new Uint32Array(0);
  private slotScratch = new Uint32Array(0);
  private queryChanged = true;
  private lastBuiltAt = 0;
  /** The order was started while a keyframe was half applied. */
  private builtWhileLoading = false;
  /** The store's removal count that the order has no ended rows from. */
  private droppedEndedAt = 0;

  constructor(
    private readonly store: ProcessStore,
    public query: IndexQuery,
    private readonly onRebuilt: () => void,
    /** The store's clock, for rates: performance.now() for the live store, the run time shown for the past one. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  setQuery(query: IndexQuery): void {
    this.query = query;
    this.queryChanged = true;
    this.job?.cancel();
    this.job = null;
  }

  get building(): boolean {
    return this.job !== null;
  }

  /**
   * Called every frame: starts a rebuild when the data or the query changed and one is due. While
   * the table is not shown, live data is resorted only every few seconds: sorting a million rows
   * costs a tenth of a core, for an order nobody sees.
   */
  tick(now: number, shown = true): void {
    this.dropEnded();
    if (this.job !== null) return;
    const stale = this.store.version !== this.builtFrom;
    if (!stale && !this.queryChanged) return;
    // Half a keyframe is not worth sorting: wait for its last page (the old order stays shown).
    if (!this.queryChanged && this.store.loading && this.builtFrom !== -1) return;
    // Re-sorting live data is throttled by how long a rebuild takes; a query change starts at once,
    // and so does the first order of a whole keyframe.
    const dueAt = this.lastBuiltAt + Math.max(shown ? 250 : HIDDEN_RESORT_MS, this.lastBuildMs * 4);
    if (!this.queryChanged && !this.builtWhileLoading && now < dueAt) return;
    this.start(now);
  }

  /**
   * Drops the rows of processes that ended since the order was built, keeping the others in their
   * order: ended rows stayed until the next rebuild, which for a million processes came seconds
   * later, and a filtered list showed a column of "exited" rows at its top and counted more rows
   * than there were processes (issue 13 item 11). One pass over the order, only after removals.
   */
  private dropEnded(): void {
    const removals = this.store.removals;
    if (removals === this.droppedEndedAt) return;
    this.droppedEndedAt = removals;
    if (this.query.status === "exited") return;
    const order = this.order;
    const status = this.store.status;
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const slot = order[i]!;
      if (status[slot] !== EXITED) order[kept++] = slot;
    }
    this.length = kept;
  }

  private start(startedAt: number): void {
    this.queryChanged = false;
    this.builtWhileLoading = this.store.loading;
    const version = this.store.version;
    const removals = this.store.removals;
    const freed = this.store.takePendingFree();
    const n = this.store.size;
    const finish = (order: Uint32Array, count: number, workMs: number) => {
      // The new order was written into the spare buffer while the old one stayed on screen.
      this.spare = this.order;
      this.order = order;
      this.length = count;
      this.builtFrom = version;
      // Processes that ended while it was built are dropped at the next tick.
      this.droppedEndedAt = removals;
      this.store.releaseSlots(freed);
      // The work, not the wall time: on a busy machine the slices wait for the CPU between them,
      // and a throttle on wall time held a million rows' order for over ten seconds (issue 13 item 11).
      this.lastBuildMs = workMs;
      this.lastBuiltAt = performance.now();
      this.onRebuilt();
    };
    let count = 0;
    const build = this.build(n, (c) => (count = c));
    if (n <= SYNC_LIMIT) {
      let r = build.next();
      while (!r.done) r = build.next();
      finish(r.value, count, performance.now() - startedAt);
      return;
    }
    const job = (this.job = new SlicedJob(build, (order) => {
      this.job = null;
      finish(order, count, job.workMs);
    }));
  }

  private *build(n: number, counted: (count: number) => void): Generator<void, Uint32Array, void> {
    if (this.keys.length < n) {
      // A buffer per step: four of a million rows at once are a long task of their own.
      const size = Math.max(n, 1024) * 1.25;
      this.keys = new Uint32Array(size);
      yield;
      this.slots = new Uint32Array(size);
      yield;
      this.keyScratch = new Uint32Array(size);
      yield;
      this.slotScratch = new Uint32Array(size);
      yield;
    }
    const s = this.store;
    const q = this.query;
    const keys = this.keys;
    const primary = this.primaryKey(this.clock());
    const textMatch = this.textMatcher();
    const status = q.status === "" ? -1 : STATUS_NAMES.indexOf(q.status as (typeof STATUS_NAMES)[number]);
    const site = q.site;
    const scheduler = q.scheduler;
    const slots = this.slots;
    let min = KEY_MAX;
    let max = 0;
    let count = 0;
    for (let start = 0; start < n; start += SCAN_STEP) {
      const end = Math.min(n, start + SCAN_STEP);
      // Read again after every yield: the store may have grown into new arrays.
      const statuses = s.status;
      for (let slot = start; slot < end; slot++) {
        const st = statuses[slot]!;
        if (st === FREE || (st === EXITED && status !== EXITED)) continue;
        if (status >= 0 && st !== status) continue;
        if (site !== null && s.spawnSite[slot] !== site && s.waitSite[slot] !== site) continue;
        if (scheduler !== 0 && s.scheduler[slot] !== scheduler) continue;
        if (textMatch !== null && !textMatch(slot)) continue;
        let k = primary(slot);
        k = k > 0 ? (k < KEY_MAX ? Math.floor(k) : KEY_MAX) : 0;
        if (k < min) min = k;
        if (k > max) max = k;
        keys[count] = k;
        slots[count++] = slot;
      }
      yield;
    }
    counted(count);
    // Keys relative to the smallest (or, descending, from the largest): the fewer bits, the fewer
    // radix passes. Slots are scanned in order and the sort is stable, so ties stay by slot.
    const descending = q.descending;
    for (let start = 0; start < count; start += SCAN_STEP) {
      const end = Math.min(count, start + SCAN_STEP);
      if (descending) for (let i = start; i < end; i++) keys[i] = max - keys[i]!;
      else for (let i = start; i < end; i++) keys[i] = keys[i]! - min;
      yield;
    }
    const sorted = yield* slicedRadixSort(keys, slots, this.keyScratch, this.slotScratch, count, count === 0 ? 0 : max - min);
    // Into the spare buffer: the order on screen stays intact until the swap.
    if (this.spare.length < count) {
      this.spare = new Uint32Array(Math.max(count, 1024) * 1.25);
      yield;
    }
    const order = this.spare;
    order.set(sorted.subarray(0, count));
    return order;
  }

  private primaryKey(now: number): (slot: number) => number {
    const s = this.store;
    switch (this.query.sort) {
      case "pid":
        return (slot) => s.pid[slot]!;
      case "mailbox":
        return (slot) => s.mailbox[slot]!;
      case "reductions":
        return (slot) => s.reductions[slot]!;
      case "rate":
        return (slot) => s.rate(slot, now);
      case "memory":
        return (slot) => s.memory[slot]!;
      case "scheduler":
        return (slot) => s.scheduler[slot]!;
      case "status":
        return (slot) => s.status[slot]!;
      case "spawnSite":
        return (slot) => s.spawnSite[slot]!;
      case "name":
      case "fn": {
        // Strings sort by their rank among the interned strings; unnamed processes go last.
        const ranks = stringRanks(s.strings);
        const column = this.query.sort === "name" ? s.name : s.fn;
        return (slot) => ranks[column[slot]!]!;
      }
    }
  }

  private textMatcher(): ((slot: number) => boolean) | null {
    const text = this.query.text.trim().toLowerCase();
    if (text === "") return null;
    const s = this.store;
    const pid = pidTyped(text) ?? -1;
    const strings = new Uint8Array(s.strings.length);
    s.strings.forEach((str, i) => (strings[i] = str !== "" && str.toLowerCase().includes(text) ? 1 : 0));
    return (slot) => s.pid[slot] === pid || strings[s.name[slot]!] === 1 || strings[s.fn[slot]!] === 1;
  }
}

function stringRanks(strings: readonly string[]): Uint32Array {
  const ids = strings.map((_, i) => i);
  ids.sort((a, b) => {
    const x = strings[a]!;
    const y = strings[b]!;
    if (x === "" || y === "") return x === y ? 0 : x === "" ? 1 : -1;
    return x.localeCompare(y);
  });
  const ranks = new Uint32Array(strings.length);
  ids.forEach((id, rank) => (ranks[id] = rank));
  return ranks;
}
