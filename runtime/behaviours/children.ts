// Starting and stopping a supervisor's children the way OTP's supervisor does: a child is linked to
// its supervisor; it is stopped with exit(child, "shutdown") and a monitor, and killed if it has
// not ended when its shutdown time is up (docs/api.md, "Supervisors").

import { _, after, exit, link, monitor, on, Pid, receive, Ref, spawnLink, unlink } from "../api.js";
import { crashReason, ProcessExit } from "../core/exitReason.js";
import { Process } from "../core/process.js";
import { preview } from "../core/receive.js";
import { budget } from "../core/reductions.js";
import { scheduler } from "../core/scheduler.js";
import type { ChildType, RestartType, Shutdown, StartFunction } from "./childSpec.js";
import { ServerStartError } from "./server.js";

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** What telemetry reads of a child (supervisor.ts, supervisorSnapshot). */
export interface ChildSnapshot {
  readonly id: string;
  /** A local Process, or the Pid of a child the balancer started on another scheduler. */
  readonly pid: Pid | undefined;
  readonly type: ChildType;
  readonly restart: RestartType;
  readonly restarts: number;
  /** scheduler.now() of its last restart, -1 if it never restarted. */
  readonly lastRestartMs: number;
  /** The reason it last ended with, undefined if it never ended. */
  readonly lastReason: unknown;
}

/** A supervisor's record of one child; it is its own snapshot, so a snapshot copies nothing. */
export class Child implements ChildSnapshot {
  pid: Pid | undefined = undefined;
  restarts = 0;
  lastRestartMs = -1;
  lastReason: unknown = undefined;

  constructor(
    readonly id: string,
    readonly start: StartFunction,
    readonly restart: RestartType,
    readonly shutdown: Shutdown,
    readonly type: ChildType,
  ) {}
}

/** A child that did not start: `reason` is why (a CrashReason when its start threw). */
export class StartFailure {
  constructor(readonly reason: unknown) {}
}

/**
 * Starts a child in the calling supervisor, linked to it: a process function is spawned linked
 * (on whichever scheduler the balancer chooses, docs/architecture.md, "Schedulers"); a plain
 * function is called and gives a pid (linked to here, in case it did not link), `"ignore"`, or an
 * iterable that gives one of those. Throws StartFailure when the start failed.
 */
export function* startProcess(start: StartFunction, extraArgs: readonly unknown[]): Generator<unknown, Pid | "ignore", unknown> {
  const fn = start[0] as (...args: unknown[]) => unknown;
  const args = extraArgs.length === 0 ? start.slice(1) : [...start.slice(1), ...extraArgs];
  let result: unknown;
  // A child counts at its supervisor's start line (docs/protocol.md, site aggregates): the spawn
  // happens here, in runtime code the loader does not mark. A start function's own marked spawn
  // sets its own line instead; the mark is cleared after the call, so no later receive takes it.
  budget.s = (scheduler.current as Process).spawnSite;
  try {
    if (fn instanceof GeneratorFunction) return spawnLink(fn as (...a: unknown[]) => Generator<unknown, unknown, unknown>, ...args);
    try {
      result = fn(...args);
    } finally {
      budget.s = 0;
    }
    if (Object.prototype.toString.call(result) === "[object Generator]") result = yield* result as Generator<unknown, unknown, unknown>;
  } catch (thrown) {
    if (thrown instanceof ProcessExit) throw thrown;
    throw new StartFailure(thrown instanceof ServerStartError ? thrown.reason : crashReason(thrown));
  }
  if (result === "ignore") return "ignore";
  const p = result instanceof Pid ? pidOf(result) : undefined;
  if (p === undefined) {
    const error = new TypeError(`the start function ${fn.name || "(anonymous)"} returned ${preview(result)}; expected a Pid, "ignore", or a generator that gives one`);
    throw new StartFailure(crashReason(error));
  }
  link(p);
  return p;
}

/** A local pid as its Process (undefined once it is gone), another scheduler's as it is: link() then handles a dead one. */
function pidOf(pid: Pid): Pid | undefined {
  if (pid instanceof Process) return pid;
  return scheduler.peers !== null && scheduler.peers.ownerOf(pid) !== scheduler.index ? pid : scheduler.find(pid.id);
}

/**
 * Stops one child like OTP: monitor it and unlink; if it had already ended (its EXIT is here),
 * that is its reason; else exit(child, "shutdown") and wait for its DOWN up to `shutdown` ms, then
 * exit(child, "kill"). "brutal_kill" kills at once; "infinity" waits as long as it takes.
 * Returns the reason the child ended with.
 */
export function* shutdownChild(pid: Pid, shutdown: Shutdown): Generator<unknown, unknown, unknown> {
  const ref = monitor(pid);
  unlink(pid);
  const early = yield* receive(on(["EXIT", pid, _]), after(0, () => undefined));
  if (early !== undefined) {
    yield* receive(on(["DOWN", ref, "process", _, _]));
    return early[2];
  }
  exit(pid, shutdown === "brutal_kill" ? "kill" : "shutdown");
  if (typeof shutdown === "number") {
    const down = yield* receive(on(["DOWN", ref, "process", _, _]), after(shutdown, () => undefined));
    if (down !== undefined) return down[4];
    exit(pid, "kill");
  }
  return (yield* receive(on(["DOWN", ref, "process", _, _])))[4];
}

/**
 * Stops many children at once, as OTP stops a simple_one_for_one supervisor's: all get
 * exit(child, "shutdown") together and share one deadline, after which those left are killed.
 * O(children), with one receive per DOWN.
 */
export function* shutdownAll(pids: Iterable<Pid>, shutdown: Shutdown): Generator<unknown, void, unknown> {
  const waiting = new Map<number, Pid>();
  for (const pid of pids) {
    const ref = monitor(pid);
    unlink(pid);
    exit(pid, shutdown === "brutal_kill" ? "kill" : "shutdown");
    waiting.set(ref.id, pid);
  }
  let deadline = typeof shutdown === "number" ? scheduler.now() + shutdown : Infinity;
  while (waiting.size > 0) {
    const left = deadline === Infinity ? Infinity : Math.max(0, deadline - scheduler.now());
    const down = yield* receive(on(["DOWN", Ref, "process", _, _]), after(left, () => undefined));
    if (down !== undefined) {
      waiting.delete(down[1].id);
      continue;
    }
    for (const pid of waiting.values()) exit(pid, "kill");
    deadline = Infinity;
  }
}
