// Links, monitors and exit signals, with the BEAM's meaning (docs/api.md, "Links, monitors and exit
// signals"). A process that never links, monitors, traps exits or is called costs one null field:
// its Signals are made on first use. Signals are delivered at once on this thread; a signal that
// would end the running process ends it when its slice does, since a running generator cannot be
// stopped from inside itself.

import { copyTerm } from "./copy.js";
import type { HandlerStack, Process } from "./process.js";
import type { Scheduler } from "./scheduler.js";
import { Ref, sameRef, type Pid } from "./terms.js";

/** A monitor: `watcher` gets one DOWN message with `ref` when `target` exits. */
export class Monitor {
  constructor(
    readonly ref: Ref,
    readonly watcher: Process,
    readonly target: Process,
  ) {}
}

/**
 * A waiting `call`'s watch on its callee (the call's AwaitReply, which is the caller's clauses
 * while it waits): the callee's exit wakes the caller, which then throws CallExitError. The callee
 * only counts its watchers. Linking the watches into a list made every call's short-lived object
 * point at an older one and kept them alive through young-generation collections: the bottleneck
 * benchmark (1,000 callers on one server) ran at half speed with 40% more memory.
 */
export interface CallWatch {
  callee: Process | null;
  /** The callee's exit reason once it exited (NOT_EXITED until then). */
  calleeExit: unknown;
}

/** Marks "no exit yet" where any term, undefined included, may be a reason. */
export const NOT_EXITED = Symbol("not exited");

/**
 * What a process has of links, monitors and trapping, and the generator handlers of its receives:
 * the state few processes have, in one object made on first use, so that the many that have none
 * pay one field (see Process.signals).
 */
export class Signals {
  /** Generator handlers of matched receives that are still running; see stepReceive (receive.ts). */
  handlers: HandlerStack | null = null;
  /** Linked processes; links are bidirectional, so each side holds the other. */
  links: Set<Process> | null = null;
  /** Monitors this process holds on others, by ref id. */
  watching: Map<number, Monitor> | null = null;
  /** Monitors others hold on this process, by ref id. */
  watchers: Map<number, Monitor> | null = null;
  /** `processFlag("trapExit", true)`: exit signals arrive as ["EXIT", from, reason] messages. */
  trapExit = false;
  /** How many callers wait for this process's reply (see CallWatch). */
  waitingCallers = 0;
  /** An exit signal that arrived while the process ran: it ends when its slice does. */
  pendingExit: unknown = NOT_EXITED;
}

export function signalsOf(p: Process): Signals {
  return (p.signals ??= new Signals());
}

/** Links `p` and `q` both ways; a dead `q` sends `p` an exit signal with reason "noproc". */
export function link(s: Scheduler, p: Process, q: Process): void {
  if (p === q) return;
  if (q.status === "exited") {
    exitSignal(s, q, p, "noproc", true);
    return;
  }
  ((signalsOf(p).links ??= new Set())).add(q);
  ((signalsOf(q).links ??= new Set())).add(p);
  s.noteSignal("link", p, q, undefined);
}

/** Removes the link between `p` and `q`, if any. */
export function unlink(s: Scheduler, p: Process, q: Process): void {
  const had = p.signals?.links?.delete(q) ?? false;
  q.signals?.links?.delete(p);
  if (had) s.noteSignal("unlink", p, q, undefined);
}

/**
 * `watcher` monitors `target` (a process, or a registered name that nobody holds): one DOWN
 * message when it exits, at once with "noproc" when it is not alive.
 */
export function monitor(s: Scheduler, watcher: Process, target: Process | string): Ref {
  const ref = s.makeRef();
  if (typeof target === "string" || target.status === "exited") {
    s.deliver(watcher, ["DOWN", ref, "process", typeof target === "string" ? target : (target as Pid), "noproc"]);
    return ref;
  }
  const m = new Monitor(ref, watcher, target);
  (signalsOf(watcher).watching ??= new Map()).set(ref.id, m);
  (signalsOf(target).watchers ??= new Map()).set(ref.id, m);
  s.noteSignal("monitor", watcher, target, undefined);
  return ref;
}

/** Removes `watcher`'s monitor `ref`; with `flush`, also a DOWN for it already in the mailbox. Returns whether the monitor was active. */
export function demonitor(s: Scheduler, watcher: Process, ref: Ref, flush: boolean): boolean {
  const m = watcher.signals?.watching?.get(ref.id);
  const active = m !== undefined && sameRef(m.ref, ref);
  if (active) {
    watcher.signals!.watching!.delete(ref.id);
    m.target.signals?.watchers?.delete(ref.id);
    s.noteSignal("demonitor", watcher, m.target, undefined);
  }
  if (flush) flushDown(s, watcher, ref);
  return active;
}

/**
 * Sends `to` an exit signal from `from` (Erlang's `exit(Pid, Reason)`, or a linked process's
 * exit when `viaLink`): "kill" (not via a link) ends it with "killed" whatever it traps; a
 * trapping process gets ["EXIT", from, reason]; otherwise "normal" is ignored (unless a process
 * signals itself) and any other reason ends it.
 */
export function exitSignal(s: Scheduler, from: Process, to: Process, reason: unknown, viaLink: boolean): void {
  if (to.status === "exited") return;
  s.noteSignal("exit-signal", from, to, reason);
  if (reason === "kill" && !viaLink) {
    die(s, to, "killed");
  } else if (to.signals?.trapExit === true) {
    s.deliver(to, ["EXIT", from, copyTerm(reason, "reason")]);
  } else if (reason !== "normal" || (from === to && !viaLink)) {
    die(s, to, reason);
  }
}

/** Ends `p` with `reason`: now, or when its slice ends if it is the running process. */
function die(s: Scheduler, p: Process, reason: unknown): void {
  if (p === s.current) {
    const sig = signalsOf(p);
    if (sig.pendingExit === NOT_EXITED) sig.pendingExit = reason;
  } else {
    s.exitBySignal(p, reason);
  }
}

/**
 * What a process's exit does to others (the scheduler calls it once `p` is marked exited):
 * its callers wake and throw, linked processes get an exit signal, watchers get DOWN, and the
 * monitors it held are removed from their targets.
 */
export function propagateExit(s: Scheduler, p: Process, sig: Signals, reason: unknown): void {
  if (sig.waitingCallers > 0) {
    // Rare (a process that dies with calls waiting on it), so a walk over the live processes
    // finds its callers instead of a list that every call would have to join and leave.
    sig.waitingCallers = 0;
    for (let q = s.newestLive; q !== null; q = q.nextLive) {
      const w = q.clauses as Partial<CallWatch> | null;
      if (w === null || w.callee !== p) continue;
      w.calleeExit = reason;
      w.callee = null;
      s.wakeCaller(q);
    }
  }
  const watching = sig.watching;
  if (watching !== null) {
    for (const m of watching.values()) m.target.signals?.watchers?.delete(m.ref.id);
    sig.watching = null;
  }
  const watchers = sig.watchers;
  if (watchers !== null) {
    sig.watchers = null;
    for (const m of watchers.values()) {
      m.watcher.signals?.watching?.delete(m.ref.id);
      s.deliver(m.watcher, ["DOWN", m.ref, "process", p, copyTerm(reason, "reason")]);
    }
  }
  const links = sig.links;
  if (links !== null) {
    sig.links = null;
    for (const q of links) {
      q.signals?.links?.delete(p);
      exitSignal(s, p, q, reason, true);
    }
  }
}

/** A call starts watching its callee. */
export function watchCallee(w: CallWatch, callee: Process): void {
  w.callee = callee;
  signalsOf(callee).waitingCallers++;
}

/** A call stops watching its callee (it got its reply, timed out, or its caller ended); idempotent. */
export function unwatchCallee(w: CallWatch): void {
  const callee = w.callee;
  if (callee === null) return;
  w.callee = null;
  callee.signals!.waitingCallers--;
}

/** Removes a ["DOWN", ref, ...] message for `ref` from the mailbox, if one is there. */
function flushDown(s: Scheduler, p: Process, ref: Ref): void {
  let prev = null;
  for (let node = p.head; node !== null; prev = node, node = node.next) {
    const msg = node.msg;
    if (Array.isArray(msg) && msg.length === 5 && msg[0] === "DOWN" && msg[1] instanceof Ref && sameRef(msg[1], ref)) {
      if (p.scanAfter === node) p.scanAfter = prev;
      p.unlink(prev, node);
      s.took(p, msg);
      return;
    }
  }
}
