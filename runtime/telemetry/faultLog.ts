// The scheduler thread's record of faults for the `faults` channel: crashes, restarts and
// supervisors that gave up, as structured messages with the user's source line, bounded per
// group (a source line, or a supervisor's child) so that a child crashing 500 times a second
// sends a few messages, whose counts still add up (docs/protocol.md, section 8).

import {
  FAULT_MESSAGES_PER_TICK,
  FAULT_MESSAGES_PER_WINDOW,
  FAULT_WINDOW_MS,
  faultGroupKey,
  LINKED_DOWN_LIMIT,
  type Crash,
  type FaultMessage,
  type SourcePosition,
} from "../../protocol/control.js";
import { isCrashReason } from "../core/exitReason.js";
import { Process } from "../core/process.js";
import type { FaultEvent } from "../core/scheduler.js";
import type { Pid } from "../core/terms.js";
import { render } from "./eventRing.js";

/** A reason on one line is cut to this many characters, a stack to STACK_LIMIT. */
const REASON_LIMIT = 200;
const STACK_LIMIT = 4000;
/** Crash groups whose totals are kept; a program has about as many as it has lines that throw. */
const TOTALS_LIMIT = 10_000;

/** What the fault log needs to know of the processes, beyond the processes themselves. */
export interface FaultContext {
  /** Milliseconds since the run started, on the samples' clock. */
  now(): number;
  /** The registered name of a live process, "" when it has none. */
  nameOf(p: Process): string;
  /** The supervisor a process is a child of (on this scheduler or another). */
  supervisorOf(p: Process): Pid | undefined;
}

/** One group's window: how many went out in it, and the latest held back with the count it stands for. */
interface Window {
  start: number;
  sent: number;
  held: FaultMessage | null;
}

/** An exit signal from a crash (or from a process a crash took down) that will end its receiver. */
interface Doom {
  crash: Crash;
  reason: unknown;
}

/** An exit signal from a crash on another scheduler (or from a process it took down) that will end its receiver. */
interface DoomFromElsewhere {
  /** The pid the exit signal came from: the crash, or a process the crash took down; the main thread finds the crash. */
  by: number;
  reason: unknown;
}

export class FaultLog {
  /** Messages that passed the bound, to go out at the next tick. */
  private out: FaultMessage[] = [];
  /** Processes that an exit signal from another scheduler will end (see DoomFromElsewhere). */
  private readonly doomedFromElsewhere = new Map<Process, DoomFromElsewhere>();
  /** Processes here that such a signal ended, by the pid it came from: their links pass it on. */
  private readonly downFromElsewhere = new Map<Process, number>();
  /** Pairs [by, pid] of this tick: a process here that a crash on another scheduler took down. */
  private victimsOfElsewhere: number[] = [];
  private readonly windows = new Map<string, Window>();
  /** Crashes since telemetry started, by group. */
  private readonly crashTotals = new Map<string, number>();
  /** Restarts by live supervisor: its total and each child's. */
  private readonly restarts = new Map<Process, { total: number; byChild: Map<string, number> }>();
  /** This tick's crashes, and the processes they took down so far, whose exit signals carry the crash on. */
  private readonly downBy = new Map<Process, Crash>();
  /** Processes an exit signal from one of those will end. */
  private readonly doomed = new Map<Process, Doom>();

  constructor(private readonly context: FaultContext) {}

  /** A process threw: a Crash, and a source of exit signals whose victims it lists. */
  crashed(p: Process, reason: unknown): void {
    const at = positionOf(reason);
    const crash: Crash = {
      type: "crash",
      time: this.context.now(),
      pid: p.id,
      fn: p.fn.name || "(anonymous)",
      name: this.context.nameOf(p),
      reason: oneLine(reason),
      stack: isCrashReason(reason) ? cut(reason.stack, STACK_LIMIT) : "",
      at,
      spawnSite: p.spawnSite,
      supervisor: this.context.supervisorOf(p)?.id ?? 0,
      linkedDown: [],
      count: 1,
      total: 0,
    };
    const key = faultGroupKey(crash);
    const total = (this.crashTotals.get(key) ?? 0) + 1;
    if (total > 1 || this.crashTotals.size < TOTALS_LIMIT) this.crashTotals.set(key, total);
    crash.total = total;
    this.downBy.set(p, crash);
    this.offer(key, crash);
  }

  /**
   * An exit signal reached `to`: if it comes down a crash's links and will end `to`, `to` is the
   * crash's victim. A signal from another scheduler may be such a one; the main thread, which
   * hears of every scheduler's crashes, decides (victimsElsewhere).
   */
  signalled(from: Pid, to: Process, reason: unknown): void {
    if (reason === "normal" || to.signals?.trapExit === true) return;
    if (!(from instanceof Process)) {
      this.doomedFromElsewhere.set(to, { by: from.id, reason });
      return;
    }
    const crash = this.downBy.get(from);
    if (crash !== undefined) {
      this.doomed.set(to, { crash, reason });
      return;
    }
    const by = this.downFromElsewhere.get(from);
    if (by !== undefined) this.doomedFromElsewhere.set(to, { by, reason });
  }

  /** A process ended without throwing; one that a crash's exit signal ended is listed in that crash. */
  ended(p: Process, reason: unknown): void {
    if (this.doomedFromElsewhere.size !== 0) {
      const far = this.doomedFromElsewhere.get(p);
      if (far !== undefined && far.reason === reason) {
        this.doomedFromElsewhere.delete(p);
        this.victimsOfElsewhere.push(far.by, p.id);
        this.downFromElsewhere.set(p, far.by);
        return;
      }
    }
    if (this.doomed.size === 0) return;
    const doom = this.doomed.get(p);
    if (doom === undefined || doom.reason !== reason) return;
    this.doomed.delete(p);
    if (doom.crash.linkedDown.length < LINKED_DOWN_LIMIT) doom.crash.linkedDown.push(p.id);
    this.downBy.set(p, doom.crash);
  }

  /** This tick's pairs [by, pid]: processes here ended by an exit signal that came from another scheduler. */
  drainVictimsOfElsewhere(): number[] {
    const pairs = this.victimsOfElsewhere;
    this.victimsOfElsewhere = [];
    this.doomedFromElsewhere.clear();
    this.downFromElsewhere.clear();
    return pairs;
  }

  /** A supervisor restarted a child, or gave up. */
  fault(event: FaultEvent): void {
    const sup = event.supervisor;
    if (event.kind === "gave-up") {
      const gaveUp: FaultMessage = {
        type: "gave-up",
        time: this.context.now(),
        supervisor: sup.id,
        fn: sup.fn.name || "(anonymous)",
        name: this.context.nameOf(sup),
        restarts: event.restarts,
        periodMs: event.periodMs,
        reason: oneLine(event.reason),
        spawnSite: sup.spawnSite,
      };
      this.offer(faultGroupKey(gaveUp), gaveUp);
      return;
    }
    let counts = this.restarts.get(sup);
    if (counts === undefined) this.restarts.set(sup, (counts = { total: 0, byChild: new Map() }));
    counts.total++;
    const childRestarts = (counts.byChild.get(event.childId) ?? 0) + 1;
    counts.byChild.set(event.childId, childRestarts);
    const restart: FaultMessage = {
      type: "restart",
      time: this.context.now(),
      supervisor: sup.id,
      childId: event.childId,
      oldPid: event.oldPid,
      newPid: event.newPid,
      reason: oneLine(event.reason),
      at: positionOf(event.reason),
      restarts: childRestarts,
      supervisorRestarts: counts.total,
      spawnSite: sup.spawnSite,
      count: 1,
    };
    this.offer(faultGroupKey(restart), restart);
  }

  /** A supervisor ended: its restart counts go with it. */
  forget(p: Process): void {
    if (this.restarts.size !== 0) this.restarts.delete(p);
  }

  /**
   * The messages for this tick: those that passed the bound, and the held ones of windows that
   * are over. A tick ends the bookkeeping of which crash took which process down.
   */
  drain(): FaultMessage[] {
    const now = this.context.now();
    for (const [key, w] of this.windows) {
      if (now - w.start < FAULT_WINDOW_MS) continue;
      if (w.held !== null && this.out.length < FAULT_MESSAGES_PER_TICK) {
        this.out.push(w.held);
        w.held = null;
      }
      if (w.held === null) this.windows.delete(key);
    }
    this.downBy.clear();
    this.doomed.clear();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Sends a message now if its group's window and the tick have room, else holds it, counted. */
  private offer(key: string, m: FaultMessage): void {
    let w = this.windows.get(key);
    if (w !== undefined && this.context.now() - w.start >= FAULT_WINDOW_MS && this.out.length < FAULT_MESSAGES_PER_TICK) {
      // The window is over: what it held goes first, and this fault starts a new one.
      if (w.held !== null) this.out.push(w.held);
      this.windows.delete(key);
      w = undefined;
    }
    if (w === undefined) this.windows.set(key, (w = { start: m.time, sent: 0, held: null }));
    if (w.sent < FAULT_MESSAGES_PER_WINDOW && this.out.length < FAULT_MESSAGES_PER_TICK) {
      w.sent++;
      this.out.push(m);
      return;
    }
    if (m.type !== "gave-up" && w.held !== null && w.held.type !== "gave-up") m.count += w.held.count;
    w.held = m;
  }
}

/** `file:line:col` of a crash reason as a position; null for another reason or an unknown place. */
export function positionOf(reason: unknown): SourcePosition | null {
  if (!isCrashReason(reason) || reason.at === "") return null;
  const m = /^(.*):(\d+):(\d+)$/.exec(reason.at);
  return m === null ? null : { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
}

/** A reason on one line: a crash as `TypeError: message`, another term rendered. */
export function oneLine(reason: unknown): string {
  const text = render(reason, REASON_LIMIT);
  return cut(text.replace(/\s*\n\s*/g, " "), REASON_LIMIT);
}

function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}
