// The processes table's order: the slots that pass the filter, sorted by one column. Rebuilt in
// time slices (processes are scanned, keyed and sorted a chunk at a time), so the table keeps
// scrolling on the old order while a new one is prepared for a million processes.

import { EXITED, FREE, MAX_SLOTS, STATUS_NAMES, type ProcessStore } from "./store.js";
import { SlicedJob, slicedSort } from "./slicedSort.js";

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
}

const KEY_MAX = 2 ** 31 - 1;
/** Rows scanned between clock reads while filtering and keying. */
const SCAN_STEP = 1 << 16;
/** Small tables are rebuilt synchronously: no slicing, no stale order. */
const SYNC_LIMIT = 20_000;

export class ProcessIndex {
  order = new Uint32Array(0);
  length = 0;
  /** The store version the current order was built from. */
  builtFrom = -1;
  lastBuildMs = 0;
  private job: SlicedJob<Float64Array> | null = null;
  private keys = new Float64Array(0);
  private scratch = new Float64Array(0);
  private queryChanged = true;
  private lastBuiltAt = 0;

  constructor(
    private readonly store: ProcessStore,
    public query: IndexQuery,
    private readonly onRebuilt: () => void,
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

  /** Called every frame: starts a rebuild when the data or the query changed and one is due. */
  tick(now: number): void {
    if (this.job !== null) return;
    const stale = this.store.version !== this.builtFrom;
    if (!stale && !this.queryChanged) return;
    // Re-sorting live data is throttled by how long a rebuild takes; a query change starts at once.
    const dueAt = this.lastBuiltAt + Math.max(250, this.lastBuildMs * 4);
    if (!this.queryChanged && now < dueAt) return;
    this.start(now);
  }

  private start(startedAt: number): void {
    this.queryChanged = false;
    const version = this.store.version;
    const freed = this.store.takePendingFree();
    const n = this.store.size;
    if (this.keys.length < n) {
      this.keys = new Float64Array(Math.max(n, 1024) * 1.25);
      this.scratch = new Float64Array(this.keys.length);
    }
    const finish = (sorted: Float64Array, count: number) => {
      if (this.order.length < count) this.order = new Uint32Array(Math.max(count, 1024) * 1.25);
      for (let i = 0; i < count; i++) this.order[i] = sorted[i]! % MAX_SLOTS;
      this.length = count;
      this.builtFrom = version;
      this.store.releaseSlots(freed);
      const end = performance.now();
      this.lastBuildMs = end - startedAt;
      this.lastBuiltAt = end;
      this.onRebuilt();
    };
    const build = this.build(n);
    if (n <= SYNC_LIMIT) {
      let r = build.next();
      while (!r.done) r = build.next();
      finish(r.value.sorted, r.value.count);
      return;
    }
    let count = 0;
    const whole = function* (): Generator<void, Float64Array, void> {
      const r = yield* build;
      count = r.count;
      return r.sorted;
    };
    this.job = new SlicedJob(whole(), (sorted) => {
      this.job = null;
      finish(sorted, count);
    });
  }

  private *build(n: number): Generator<void, { sorted: Float64Array; count: number }, void> {
    const s = this.store;
    const q = this.query;
    const keys = this.keys;
    const primary = this.primaryKey(performance.now());
    const textMatch = this.textMatcher();
    const status = q.status === "" ? -1 : STATUS_NAMES.indexOf(q.status as (typeof STATUS_NAMES)[number]);
    const site = q.site;
    let count = 0;
    for (let start = 0; start < n; start += SCAN_STEP) {
      const end = Math.min(n, start + SCAN_STEP);
      for (let slot = start; slot < end; slot++) {
        const st = s.status[slot]!;
        if (st === FREE || (st === EXITED && status !== EXITED)) continue;
        if (status >= 0 && st !== status) continue;
        if (site !== null && s.spawnSite[slot] !== site && s.waitSite[slot] !== site) continue;
        if (textMatch !== null && !textMatch(slot)) continue;
        let k = primary(slot);
        k = k < 0 ? 0 : k > KEY_MAX ? KEY_MAX : Math.floor(k);
        if (q.descending) k = KEY_MAX - k;
        keys[count++] = k * MAX_SLOTS + slot;
      }
      yield;
    }
    const sorted = yield* slicedSort(keys, this.scratch, count);
    return { sorted, count };
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
    const pidMatch = /^(?:<0\.)?(\d+)(?:\.0>?)?$/.exec(text);
    const pid = pidMatch ? Number(pidMatch[1]) : -1;
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
