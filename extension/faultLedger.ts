// The crashes of one run, folded by source line for the Problems view: a child that crashes 500
// times at one line is one problem with a count, not 500. Fed by the telemetry's "faults" channel
// (crash, restart and gave-up messages, docs/protocol.md); a restart names the supervisor that
// repaired a crash, and a supervisor that gave up is a problem at the line that started it.
// Pure: no vscode; sessionManager.ts turns the problems into diagnostics.

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
  /** Its restarts in all, as its last restart message counted them. */
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

/** Crashes whose pid is remembered, to match the restart that follows with the crash's line. */
const REMEMBERED_PIDS = 10_000;
/** Distinct function names a problem's message lists before "and N more". */
const LISTED_FUNCTIONS = 3;

interface LineEntry {
  at: SourceLocation;
  count: number;
  functions: string[];
  moreFunctions: number;
  lastReason: string;
  lastPid: number;
  linkedDown: number;
  supervisors: Map<number, RestartingSupervisor>;
}

export class FaultLedger {
  private readonly lines = new Map<string, LineEntry>();
  /** Crashed pid → the key of its line, oldest first (bounded). */
  private readonly lineOfPid = new Map<number, string>();
  /** Supervisor pid → its spawn site, learned from its restarts. */
  private readonly supervisorSites = new Map<number, number>();
  private readonly gaveUp = new Map<number, FaultProblem>();
  /** The last crash of a process running `main`. */
  mainCrash: Crash | undefined;

  /** `siteOf` finds a site of the run's site table by id (for a crash without a user frame, and supervisors). */
  constructor(private readonly siteOf: (id: number) => Site | undefined) {}

  clear(): void {
    this.lines.clear();
    this.lineOfPid.clear();
    this.supervisorSites.clear();
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
      entry = { at, count: 0, functions: [], moreFunctions: 0, lastReason: "", lastPid: 0, linkedDown: 0, supervisors: new Map() };
      this.lines.set(key, entry);
    }
    entry.count += 1 + (c.suppressed ?? 0);
    entry.lastReason = c.reason;
    entry.lastPid = c.pid;
    entry.linkedDown += c.linkedDown.length;
    const fn = c.name || c.fn || "a process";
    if (!entry.functions.includes(fn)) {
      if (entry.functions.length < LISTED_FUNCTIONS) entry.functions.push(fn);
      else entry.moreFunctions++;
    }
    this.lineOfPid.delete(c.pid);
    this.lineOfPid.set(c.pid, key);
    if (this.lineOfPid.size > REMEMBERED_PIDS) this.lineOfPid.delete(this.lineOfPid.keys().next().value!);
    return true;
  }

  /** Names the supervisor on the problem of the crash it repaired. Returns whether a problem changed. */
  restart(r: Restart): boolean {
    this.supervisorSites.set(r.supervisor, r.spawnSite);
    const key = this.lineOfPid.get(r.oldPid);
    const entry = key === undefined ? undefined : this.lines.get(key);
    if (!entry) return false;
    const known = entry.supervisors.get(r.supervisor);
    if (known) {
      known.restarts = r.restarts;
      return false;
    }
    entry.supervisors.set(r.supervisor, { pid: r.supervisor, restarts: r.restarts, at: this.locationOfSite(r.spawnSite) });
    return true;
  }

  /** A supervisor that gave up is a problem at the line that started it, when that is known. */
  gaveUpAt(g: GaveUp): boolean {
    const at = this.locationOfSite(this.supervisorSites.get(g.supervisor) ?? 0);
    if (at === undefined) return false;
    this.gaveUp.set(g.supervisor, {
      ...at,
      kind: "gave-up",
      message: `supervisor ${formatPid(g.supervisor)} gave up: ${counted(g.restarts, "restart")} within ${g.periodMs.toLocaleString("en-US")} ms is more than it may make; it stopped its children and exited with reason "shutdown"`,
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
      out.push({ ...e.at, kind: "crash", message: crashMessage(e), count: e.count, supervisors: [...e.supervisors.values()], lastPid: e.lastPid });
    }
    out.push(...this.gaveUp.values());
    return out;
  }

  private locationOfSite(id: number): SourceLocation | undefined {
    const site = id > 0 ? this.siteOf(id) : undefined;
    return site && site.line > 0 ? { file: site.file, line: site.line, column: site.column } : undefined;
  }
}

/** "worker crashed: Error: boom (<0.12.0>)", "worker crashed 500 times: Error: boom (last <0.511.0>)". */
function crashMessage(e: LineEntry): string {
  const who = e.functions.join(", ") + (e.moreFunctions > 0 ? ` and ${e.moreFunctions} more` : "");
  const times = e.count === 1 ? "crashed" : `crashed ${e.count.toLocaleString("en-US")} times`;
  const pid = e.count === 1 ? formatPid(e.lastPid) : `last ${formatPid(e.lastPid)}`;
  const linked = e.linkedDown > 0 ? `; took down ${counted(e.linkedDown, "linked process", "linked processes")}` : "";
  return `${who} ${times}: ${e.lastReason} (${pid}${linked})`;
}
