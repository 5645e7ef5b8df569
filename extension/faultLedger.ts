// The crashes of one run, folded by source line for the Problems view: a child that crashes 500
// times at one line is one problem with a count, not 500. Fed by the telemetry's "faults" channel
// (crash, restart and gave-up messages, docs/protocol.md section 8), which is bounded: counts come
// from the messages' totals, so a message the bound held back, or one replayed on reconnect,
// changes nothing. A restart names the supervisor that repaired a crash, and a supervisor that
// gave up is a problem at the line that started it. Pure: no vscode; sessionManager.ts turns the
// problems into diagnostics.

import { formatPid, type Crash, type GaveUp, type Restart, type Site } from "../protocol/control.js";
import { counted } from "./countText.js";

export interface SourceLocation {
  /** As the runtime names it: relative to its working directory. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A supervisor that restarted processes crashing at a line, where the program started it. */
export interface RestartingSupervisor {
  pid: number;
  /** The child spec's id of the last child it restarted after a crash here. */
  childId: string;
  /** That child's restarts in all, as the last restart message counted them. */
  restarts: number;
  /** Where it was started, when its spawn site is known. */
  at: SourceLocation | undefined;
}

export interface FaultProblem extends SourceLocation {
  kind: "crash" | "gave-up";
  /** One line: "worker crashed 500 times: Error: boom". */
  message: string;
  /** The crashes folded into this problem (1 for a gave-up). */
  count: number;
  /** The supervisors that restarted the crashed processes, for related information. */
  supervisors: RestartingSupervisor[];
  /** The process of the last crash (or the supervisor that gave up). */
  lastPid: number;
}

/** Distinct function names a problem's message lists before "and N more". */
const LISTED_FUNCTIONS = 3;

interface LineEntry {
  at: SourceLocation;
  /** The runtime's crash groups shown at this line (docs/protocol.md, "The bound"), each with its total. */
  totals: Map<string, number>;
  functions: string[];
  moreFunctions: number;
  lastReason: string;
  lastPid: number;
  linkedDown: number;
  supervisors: Map<number, RestartingSupervisor>;
}

export class FaultLedger {
  private readonly lines = new Map<string, LineEntry>();
  private readonly gaveUp = new Map<number, FaultProblem>();
  /** The last crash of a process running `main`. */
  mainCrash: Crash | undefined;

  /** `siteOf` finds a site of the run's site table by id (for a crash without a user frame, and supervisors). */
  constructor(private readonly siteOf: (id: number) => Site | undefined) {}

  clear(): void {
    this.lines.clear();
    this.gaveUp.clear();
    this.mainCrash = undefined;
  }

  /**
   * Counts a crash at its user's line; without one (a crash in the runtime's code, or a thrown
   * non-Error) at the line that spawned the process. Returns whether a problem changed.
   */
  crash(c: Crash): boolean {
    if (c.fn === "main") this.mainCrash = c;
    const at = c.at ?? this.locationOfSite(c.spawnSite);
    if (at === undefined) return false;
    const key = `${at.file}:${at.line}`;
    let entry = this.lines.get(key);
    if (!entry) {
      entry = { at, totals: new Map(), functions: [], moreFunctions: 0, lastReason: "", lastPid: 0, linkedDown: 0, supervisors: new Map() };
      this.lines.set(key, entry);
    }
    // The runtime's group of this crash, as it counts `total` (docs/protocol.md, "The bound").
    const group = c.at ? `at ${c.at.file}:${c.at.line}` : c.spawnSite > 0 ? `site ${c.spawnSite}` : `fn ${c.fn}`;
    // A total already counted: a message replayed on reconnect.
    if ((entry.totals.get(group) ?? 0) >= c.total) return false;
    entry.totals.set(group, c.total);
    entry.lastReason = c.reason;
    entry.lastPid = c.pid;
    entry.linkedDown += c.linkedDown.length;
    const fn = c.name || c.fn || "a process";
    if (!entry.functions.includes(fn)) {
      if (entry.functions.length < LISTED_FUNCTIONS) entry.functions.push(fn);
      else entry.moreFunctions++;
    }
    return true;
  }

  /** Names the supervisor on the problem of the crash it repaired (an exit signal's restart has no line). Returns whether a problem changed. */
  restart(r: Restart): boolean {
    const entry = r.at ? this.lines.get(`${r.at.file}:${r.at.line}`) : undefined;
    if (!entry) return false;
    const known = entry.supervisors.get(r.supervisor);
    entry.supervisors.set(r.supervisor, { pid: r.supervisor, childId: r.childId, restarts: r.restarts, at: this.locationOfSite(r.spawnSite) });
    return known === undefined || known.restarts !== r.restarts || known.childId !== r.childId;
  }

  /** A supervisor that gave up is a problem at the line that started it, when that is known. */
  gaveUpAt(g: GaveUp): boolean {
    const at = this.locationOfSite(g.spawnSite);
    if (at === undefined || this.gaveUp.has(g.supervisor)) return false;
    this.gaveUp.set(g.supervisor, {
      ...at,
      kind: "gave-up",
      message: `supervisor ${g.name ? `${g.name} ` : ""}${formatPid(g.supervisor)} gave up after ${counted(g.restarts, "restart")} within ${g.periodMs.toLocaleString("en-US")} ms (the last child exited with ${g.reason}): it stopped its children and exited with reason "shutdown"`,
      count: 1,
      supervisors: [],
      lastPid: g.supervisor,
    });
    return true;
  }

  /** The problems, one per source line with crashes, and one per supervisor that gave up. */
  problems(): FaultProblem[] {
    const out: FaultProblem[] = [];
    for (const e of this.lines.values()) {
      out.push({ ...e.at, kind: "crash", message: crashMessage(e), count: countOf(e), supervisors: [...e.supervisors.values()], lastPid: e.lastPid });
    }
    out.push(...this.gaveUp.values());
    return out;
  }

  private locationOfSite(id: number): SourceLocation | undefined {
    const site = id > 0 ? this.siteOf(id) : undefined;
    return site && site.line > 0 ? { file: site.file, line: site.line, column: site.column } : undefined;
  }
}

function countOf(e: LineEntry): number {
  let n = 0;
  for (const total of e.totals.values()) n += total;
  return n;
}

/** "worker crashed: Error: boom (<0.12.0>)", "worker crashed 500 times: Error: boom (last <0.511.0>)". */
function crashMessage(e: LineEntry): string {
  const count = countOf(e);
  const who = e.functions.join(", ") + (e.moreFunctions > 0 ? ` and ${e.moreFunctions} more` : "");
  const times = count === 1 ? "crashed" : `crashed ${count.toLocaleString("en-US")} times`;
  const pid = count === 1 ? formatPid(e.lastPid) : `last ${formatPid(e.lastPid)}`;
  const linked = e.linkedDown > 0 ? `; took down ${counted(e.linkedDown, "linked process", "linked processes")}` : "";
  return `${who} ${times}: ${e.lastReason} (${pid}${linked})`;
}
