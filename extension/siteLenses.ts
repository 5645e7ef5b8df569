// Which code lenses a file gets from the runtime's site table, and what they say. Pure: the code
// lens provider (codeLensProvider.ts) places them, this decides them.
//
//   spawn site        `3 processes · 12 queued · Inspect`   (`· 2 crashes`, `· 1 restart` once there are some)
//   spawnLink, spawnMonitor  `3 processes · 12 queued · 0 crashes · Inspect`
//   startSupervisor, startDynamicSupervisor  `3 processes · 4 restarts · 4 crashes · Inspect`
//   process function  `3 processes · 12 queued · Inspect`   (a function that processes run)
//   receive site      `2 waiting here`
//   on a recording    `At the recording's end: 3 processes · 12 queued · Show`

import type { Site } from "../protocol/control.js";
import type { SiteAggregate } from "../protocol/frames.js";
import { counted } from "./countText.js";

export interface LensSpec {
  /** The sites the lens counts (several spawn sites can start the same process function). */
  sites: number[];
  /** The site the lens sits on. */
  site: number;
  kind: Site["kind"];
  /** The site's name: the spawning call (`spawnLink`, `startSupervisor`, ...), the waiting call or the function. */
  name: string;
  /** 0-based line and column in the document. */
  line: number;
  column: number;
}

/** Normalizes a path for comparison: forward slashes, no leading `./`. */
export function normalizePath(p: string): string {
  return p.replace(/\\/g, "/").replace(/^\.\//, "");
}

/**
 * The lenses for one file. `file` is the document's path relative to the runtime's working
 * directory (like `Site.file`). `processFunctions` maps a process function's name to the spawn
 * sites that started processes running it (learned from process data); `main` always counts.
 */
export function lensesForFile(sites: readonly Site[], file: string, processFunctions: ReadonlyMap<string, readonly number[]>): LensSpec[] {
  const target = normalizePath(file);
  const out: LensSpec[] = [];
  for (const s of sites) {
    if (normalizePath(s.file) !== target || s.line < 1) continue;
    const at = { site: s.id, kind: s.kind, name: s.name, line: s.line - 1, column: Math.max(0, s.column - 1) };
    if (s.kind === "spawn" || s.kind === "receive") out.push({ ...at, sites: [s.id] });
    else {
      const spawners = processFunctions.get(s.name);
      if (spawners && spawners.length > 0) out.push({ ...at, sites: [...spawners] });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

export interface SiteCounts {
  live: number;
  queued: number;
  waiting: number;
  /** Processes spawned at these sites that crashed, since the run started. */
  crashes: number;
  /** Restarts made by supervisors started at these sites, since the run started. */
  restarts: number;
}

export const NO_COUNTS: Readonly<SiteCounts> = { live: 0, queued: 0, waiting: 0, crashes: 0, restarts: 0 };

/** Sums the aggregates of some sites (missing ones count 0). */
export function countsOf(siteIds: readonly number[], aggregates: ReadonlyMap<number, SiteAggregate>): SiteCounts {
  const total = { ...NO_COUNTS };
  for (const id of siteIds) {
    const a = aggregates.get(id);
    if (!a) continue;
    total.live += a.live;
    total.queued += a.queued;
    total.waiting += a.waiting;
    total.crashes += a.crashes;
    total.restarts += a.restarts;
  }
  return total;
}

/** A call that starts a supervisor: its lens counts the supervisor's restarts. */
export const isSupervisorStart = (name: string): boolean => name === "startSupervisor" || name === "startDynamicSupervisor";
/** A call that spawns a linked or monitored process, whose crashes matter to its spawner: its lens always counts them. */
const isWatchedSpawn = (name: string): boolean => name === "spawnLink" || name === "spawnMonitor";

/**
 * The lens text for a spec, given the current counts. On a recording (`recorded`, a `beamline
 * replay`), the counts are the last the run recorded (docs/protocol.md, section 13), and a click
 * shows them in the visualizer: nothing there can be inspected live.
 */
export function lensTitle(spec: Pick<LensSpec, "kind" | "name">, counts: SiteCounts, recorded = false): string {
  const prefix = recorded ? "At the recording's end: " : "";
  if (spec.kind === "receive") return `${prefix}${counts.waiting.toLocaleString("en-US")} waiting here`;
  const crashes = counted(counts.crashes, "crash", "crashes");
  const restarts = counted(counts.restarts, "restart");
  const parts: string[] = [];
  if (spec.kind === "spawn" && isSupervisorStart(spec.name)) {
    // The supervisor and its children count here (a child counts at its supervisor's start line).
    parts.push(counted(counts.live, "process", "processes"), restarts);
    if (counts.crashes > 0) parts.push(crashes);
  } else {
    parts.push(counted(counts.live, "process", "processes"), `${counts.queued.toLocaleString("en-US")} queued`);
    if (counts.crashes > 0 || (spec.kind === "spawn" && isWatchedSpawn(spec.name))) parts.push(crashes);
    if (counts.restarts > 0) parts.push(restarts);
  }
  return `${prefix}${parts.join(" · ")} · ${recorded ? "Show" : "Inspect"}`;
}

/** Learns which spawn sites start which process functions, from process records (`fn`, `spawnSite`). */
export function learnProcessFunctions(into: Map<string, number[]>, processes: Iterable<{ fn: string; spawnSite: number }>): boolean {
  let changed = false;
  for (const p of processes) {
    if (p.spawnSite === 0 || p.fn === "") continue;
    const list = into.get(p.fn);
    if (!list) {
      into.set(p.fn, [p.spawnSite]);
      changed = true;
    } else if (!list.includes(p.spawnSite)) {
      list.push(p.spawnSite);
      changed = true;
    }
  }
  return changed;
}

/** The processes a lens click is about: spawned at, waiting at, or running the function of these sites. */
export function processesOfLens<P extends { spawnSite: number; waitSite: number }>(spec: Pick<LensSpec, "kind" | "sites">, processes: Iterable<P>): P[] {
  const ids = new Set(spec.sites);
  const out: P[] = [];
  for (const p of processes) {
    if (spec.kind === "receive" ? ids.has(p.waitSite) : ids.has(p.spawnSite)) out.push(p);
  }
  return out;
}

/** Lines (0-based) where processes wait now, with how many, for the decorations. */
export function waitingLines(sites: readonly Site[], file: string, aggregates: ReadonlyMap<number, SiteAggregate>): { line: number; site: Site; waiting: number }[] {
  const target = normalizePath(file);
  const out: { line: number; site: Site; waiting: number }[] = [];
  for (const s of sites) {
    if (s.kind !== "receive" || normalizePath(s.file) !== target) continue;
    const waiting = aggregates.get(s.id)?.waiting ?? 0;
    if (waiting > 0) out.push({ line: s.line - 1, site: s, waiting });
  }
  return out;
}

/** What the lenses show of the aggregates (not reductions, which change all the time): equal text, nothing to redraw. */
export function countsSignature(aggregates: Iterable<SiteAggregate>): string {
  let out = "";
  for (const a of aggregates) {
    if (a.live || a.queued || a.waiting || a.crashes || a.restarts) out += `${a.site}:${a.live}:${a.queued}:${a.waiting}:${a.crashes}:${a.restarts};`;
  }
  return out;
}
