// Links, monitors and exit signals, with the BEAM's meaning (docs/api.md, "Links, monitors and exit
// signals"). A process that never links, monitors, traps exits or is called costs one null field:
// its Signals are made on first use. Signals are delivered at once on this thread; a signal that
// would end the running process ends it when its slice does, since a running generator cannot be
// stopped from inside itself. A signal to or from a process on another scheduler goes as an
// envelope (peers.ts), which calls back into this file on the receiving side.

import { copyTerm } from "./copy.js";
import { Process, type HandlerStack, type MessageNode } from "./process.js";
import type { Scheduler } from "./scheduler.js";
import { Ref, sameRef, type Pid } from "./terms.js";

/** A monitor: `watcher` gets one DOWN message with `ref` when `target` exits. One of them may live on another scheduler (a plain Pid). */
export class Monitor {
  constructor(
    readonly ref: Ref,
    readonly watcher: Pid,
    readonly target: Pid,
  ) {}
}

/** A monitor's key in `watching` and `watchers`: refs of different schedulers may share an id. */
export function refKey(ref: Ref): number {
  return ref.id * 1024 + ref.scheduler;
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
  /** Linked processes by id (a local Process, or a Pid on another scheduler); links are bidirectional, so each side holds the other. */
  links: Map<number, Pid> | null = null;
  /** Monitors this process holds on others, by refKey. */
  watching: Map<number, Monitor> | null = null;
  /** Monitors others hold on this process, by refKey. */
  watchers: Map<number, Monitor> | null = null;
  /** `processFlag("trapExit", true)`: exit signals arrive as ["EXIT", from, reason] messages. */
  trapExit = false;
  /** How many callers wait for this process's reply (see CallWatch). */
  waitingCallers = 0;
  /** An exit signal that arrived while the process ran: it ends when its slice does. */
  pendingExit: unknown = NOT_EXITED;
  /** This process is a supervisor: a child it starts on another scheduler learns so (peers.ts, Tie.SupervisorLink). */
  supervises = false;
  /**
   * The supervisor on another scheduler that started this process linked to itself, for telemetry
   * (behaviours/supervisor.ts, supervisorOf); it counts while the link holds.
   */
  supervisor: Pid | null = null;
}

export function signalsOf(p: Process): Signals {
  return (p.signals ??= new Signals());
}

/** Links `p` and `q` both ways; a dead `q` sends `p` an exit signal with reason "noproc". */
export function link(s: Scheduler, p: Process, q: Pid): void {
  if (p === q) return;
  if (!(q instanceof Process)) {
    // On another scheduler: linked here at once, there when the envelope arrives; if `q` is gone
    // by then, its scheduler answers with the "noproc" exit signal.
    if (p.signals?.links?.has(q.id) === true) return;
    (signalsOf(p).links ??= new Map()).set(q.id, q);
    s.peers!.link(p, q);
    s.noteSignal("link", p, q, undefined);
    return;
  }
  if (q.status === "exited") {
    exitSignal(s, q, p, "noproc", true);
    return;
  }
  (signalsOf(p).links ??= new Map()).set(q.id, q);
  (signalsOf(q).links ??= new Map()).set(p.id, p);
  s.noteSignal("link", p, q, undefined);
}

/** Removes the link between `p` and `q`, if any. */
export function unlink(s: Scheduler, p: Process, q: Pid): void {
  const had = p.signals?.links?.delete(q.id) ?? false;
  if (q instanceof Process) q.signals?.links?.delete(p.id);
  else if (had) s.peers!.unlink(p, q);
  if (had) s.noteSignal("unlink", p, q, undefined);
}

/**
 * The other scheduler's half of a link from `from` (remote) to the local `to`; `bySupervisor`
 * when `from` is a supervisor that started `to` as its child (spawnLink, peers.ts).
 */
export function linkedFromPeer(s: Scheduler, from: Pid, to: Process, bySupervisor = false): void {
  if (to.status === "exited") {
    s.peers!.exitSignal(to, from, "noproc", true);
    return;
  }
  const sig = signalsOf(to);
  (sig.links ??= new Map()).set(from.id, from);
  if (bySupervisor) sig.supervisor = from;
  s.noteSignal("link", from, to, undefined);
}

/**
 * The spawner's half of spawnLink with the child on another scheduler; the child's half comes
 * with its Spawn envelope and exists before its first slice (peers.ts).
 */
export function linkedSpawn(s: Scheduler, p: Process, child: Pid): void {
  (signalsOf(p).links ??= new Map()).set(child.id, child);
  s.noteSignal("link", p, child, undefined);
}

/** The watcher's half of spawnMonitor with the child on another scheduler, as linkedSpawn. */
export function monitoredSpawn(s: Scheduler, p: Process, child: Pid, ref: Ref): Ref {
  (signalsOf(p).watching ??= new Map()).set(refKey(ref), new Monitor(ref, p, child));
  s.noteSignal("monitor", p, child, undefined);
  return ref;
}

/**
 * `watcher` monitors `target` (a process, or a registered name that nobody holds): one DOWN
 * message when it exits, at once with "noproc" when it is not alive.
 */
export function monitor(s: Scheduler, watcher: Process, target: Pid | string): Ref {
  const ref = s.makeRef();
  // A pid of another scheduler is known dead at once too: liveness is shared (core/liveness.ts).
  if (typeof target === "string" || (target instanceof Process ? target.status === "exited" : s.peers?.isAlive(target) !== true)) {
    s.deliver(watcher, ["DOWN", ref, "process", target, "noproc"]);
    return ref;
  }
  const m = new Monitor(ref, watcher, target);
  (signalsOf(watcher).watching ??= new Map()).set(refKey(ref), m);
  if (target instanceof Process) (signalsOf(target).watchers ??= new Map()).set(refKey(ref), m);
  else s.peers!.monitor(m);
  s.noteSignal("monitor", watcher, target, undefined);
  return ref;
}

/** The other scheduler's half of a monitor: `m.target` is local, `m.watcher` remote. */
export function monitoredFromPeer(s: Scheduler, m: Monitor): void {
  const target = m.target as Process;
  if (target.status === "exited") {
    s.peers!.down(m, "noproc");
    return;
  }
  (signalsOf(target).watchers ??= new Map()).set(refKey(m.ref), m);
  s.noteSignal("monitor", m.watcher, target, undefined);
}

/** Removes `watcher`'s monitor `ref`; with `flush`, also a DOWN for it already in the mailbox. Returns whether the monitor was active. */
export function demonitor(s: Scheduler, watcher: Process, ref: Ref, flush: boolean): boolean {
  const m = watcher.signals?.watching?.get(refKey(ref));
  const active = m !== undefined && sameRef(m.ref, ref);
  if (active) {
    watcher.signals!.watching!.delete(refKey(ref));
    forgetWatcher(s, m);
    s.noteSignal("demonitor", watcher, m.target, undefined);
  }
  if (flush) flushDown(s, watcher, ref);
  return active;
}

/** The target's side of a monitor that ended at its watcher (demonitor, or the watcher's exit). */
function forgetWatcher(s: Scheduler, m: Monitor): void {
  if (m.target instanceof Process) m.target.signals?.watchers?.delete(refKey(m.ref));
  else s.peers!.demonitor(m);
}

/** A DOWN from another scheduler for the local watcher's monitor `m.ref`, if it is still active. */
export function downFromPeer(s: Scheduler, watcher: Process, ref: Ref, target: Pid, reason: unknown): void {
  const m = watcher.signals?.watching?.get(refKey(ref));
  if (m === undefined || !sameRef(m.ref, ref)) return;
  watcher.signals!.watching!.delete(refKey(ref));
  s.deliverFrom(watcher, ["DOWN", m.ref, "process", target, reason], target, false);
}

/**
 * Sends `to` an exit signal from `from` (Erlang's `exit(Pid, Reason)`, or a linked process's
 * exit when `viaLink`): "kill" (not via a link) ends it with "killed" whatever it traps; a
 * trapping process gets ["EXIT", from, reason]; otherwise "normal" is ignored (unless a process
 * signals itself) and any other reason ends it. `to` on another scheduler gets it as an envelope.
 */
export function exitSignal(s: Scheduler, from: Pid, to: Pid, reason: unknown, viaLink: boolean): void {
  if (!(to instanceof Process)) {
    s.peers!.exitSignal(from, to, reason, viaLink);
    return;
  }
  if (to.status === "exited") return;
  s.noteSignal("exit-signal", from, to, reason);
  if (reason === "kill" && !viaLink) {
    die(s, to, "killed");
  } else if (to.signals?.trapExit === true) {
    s.deliverFrom(to, ["EXIT", from, copyTerm(reason, "reason")], from, false);
  } else if (reason !== "normal" || (from === to && !viaLink)) {
    die(s, to, reason);
  }
}

/** An exit signal from another scheduler; one that a link carries counts only while the link holds. */
export function exitSignalFromPeer(s: Scheduler, from: Pid, to: Process, reason: unknown, viaLink: boolean): void {
  if (viaLink && to.signals?.links?.delete(from.id) !== true) return;
  exitSignal(s, from, to, reason, viaLink);
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
    for (const m of watching.values()) forgetWatcher(s, m);
    sig.watching = null;
  }
  const watchers = sig.watchers;
  if (watchers !== null) {
    sig.watchers = null;
    for (const m of watchers.values()) {
      const watcher = m.watcher;
      if (watcher instanceof Process) {
        watcher.signals?.watching?.delete(refKey(m.ref));
        s.deliverFrom(watcher, ["DOWN", m.ref, "process", p, copyTerm(reason, "reason")], p, false);
      } else s.peers!.down(m, reason);
    }
  }
  const links = sig.links;
  if (links !== null) {
    sig.links = null;
    for (const q of links.values()) {
      if (q instanceof Process) q.signals?.links?.delete(p.id);
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

/** Takes the DOWN of monitor `ref` out of `p`'s mailbox, looking only after `after` (null: from the oldest message). */
export function flushDown(s: Scheduler, p: Process, ref: Ref, after: MessageNode | null = null): void {
  let prev = after;
  for (let node = after === null ? p.head : after.next; node !== null; prev = node, node = node.next) {
    const msg = node.msg;
    if (Array.isArray(msg) && msg.length === 5 && msg[0] === "DOWN" && msg[1] instanceof Ref && sameRef(msg[1], ref)) {
      if (p.scanAfter === node) p.scanAfter = prev;
      p.unlink(prev, node);
      s.took(p, node);
      return;
    }
  }
}
