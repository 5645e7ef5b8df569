// Supervisors, as OTP's supervisor: a process that traps exits, starts its children in order,
// restarts them by its strategy when they end, gives up when they restart too often, and stops them
// in reverse order (docs/api.md, "Supervisors"). Telemetry reads live supervisors through
// forEachSupervisor, supervisorSnapshot and supervisorOf.

import { call, exit, isCrashReason, makeRef, Pid, processFlag, receive, Ref, reply, self, send, spawnLink, type From, type Receive } from "../api.js";
import type { Process } from "../core/process.js";
import { preview } from "../core/receive.js";
import { signalsOf } from "../core/signals.js";
import { budget, PREEMPT } from "../core/reductions.js";
import { scheduler } from "../core/scheduler.js";
import { checkStrategy, fullChildSpec, needsRestart, restartLimits, type ChildSpec, type ChildType, type FullChildSpec, type RestartType, type Strategy, type SupervisorOptions } from "./childSpec.js";
import { Child, shutdownChild, startProcess, StartFailure, type ChildSnapshot } from "./children.js";
import { RestartIntensity } from "./restartIntensity.js";

export type { ChildSnapshot } from "./children.js";
export type { ChildSpec, ChildType, RestartType, Shutdown, StartFunction, Strategy, SupervisorOptions } from "./childSpec.js";

/** What telemetry reads of a supervisor. */
export interface SupervisorSnapshot {
  strategy: Strategy | "simple_one_for_one";
  intensity: number;
  period: number;
  /** Restarts since it started. */
  restarts: number;
  /** In start order (a dynamic supervisor's: by id). Read-only: they are the supervisor's own records. */
  children: readonly ChildSnapshot[];
}

/** What a supervisor of either kind shows to introspection. */
export interface SupervisorRecord {
  readonly strategy: Strategy | "simple_one_for_one";
  readonly limits: RestartIntensity;
  children(): readonly ChildSnapshot[];
  /** The child record whose running process is `p` (a local one), if any. */
  childByPid(p: Process): ChildSnapshot | undefined;
}

/** A child in whichChildren's answer; pid is undefined while it is not running. */
export interface ChildInfo {
  id: string;
  pid: Pid | undefined;
  type: ChildType;
  restart: RestartType;
}

/** countChildren's answer, as OTP's count_children. */
export interface ChildCounts {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
}

/** Thrown by the supervisor calls when the supervisor refuses: `reason` is OTP's ("not_found", "running", ...). */
export class SupervisorError extends Error {
  override name = "SupervisorError";
  constructor(
    readonly reason: unknown,
    message: string,
  ) {
    super(message);
  }
}

const live = new Map<Process, SupervisorRecord>();
const supervisorOfChild = new WeakMap<Process, Process>();

/**
 * Marks `p` as a live supervisor for introspection; a child it starts on another scheduler is
 * told so with its spawn (core/peers.ts), so that its own scheduler's telemetry knows it.
 */
export function registerSupervisor(p: Process, record: SupervisorRecord): void {
  live.set(p, record);
  signalsOf(p).supervises = true;
}

/** Records that `child` was started by the supervisor `sup`; a child on another scheduler knows its supervisor itself (supervisorOf). */
export function noteChild(sup: Process, child: Pid): void {
  if (isLocal(child)) supervisorOfChild.set(child, sup);
}

/** A Process is a Pid of this scheduler with a status; a child on another scheduler is a plain Pid. */
function isLocal(p: Pid): p is Process {
  return "status" in p;
}

/** Calls `fn` for each live supervisor with its snapshot; a supervisor that ended is forgotten here. */
export function forEachSupervisor(fn: (p: Process, s: SupervisorSnapshot) => void): void {
  for (const [p, record] of live) {
    if (p.status === "exited") live.delete(p);
    else fn(p, snapshotOf(record));
  }
}

/** The snapshot of a live supervisor, undefined if `p` is not one. */
export function supervisorSnapshot(p: Process): SupervisorSnapshot | undefined {
  const record = live.get(p);
  if (record === undefined) return undefined;
  if (p.status === "exited") {
    live.delete(p);
    return undefined;
  }
  return snapshotOf(record);
}

/**
 * The live supervisor that `p` is a running child of: a Process, or the Pid of a supervisor on
 * another scheduler that started `p` here, while their link holds (core/signals.ts, Signals.supervisor).
 */
export function supervisorOf(p: Process): Pid | undefined {
  const sup = supervisorOfChild.get(p);
  if (sup === undefined) {
    const remote = p.signals?.supervisor ?? null;
    return remote !== null && p.signals!.links?.has(remote.id) === true ? remote : undefined;
  }
  if (sup.status === "exited") return undefined;
  return live.get(sup)?.childByPid(p) !== undefined ? sup : undefined;
}

function snapshotOf(record: SupervisorRecord): SupervisorSnapshot {
  const l = record.limits;
  return { strategy: record.strategy, intensity: l.intensity, period: l.period, restarts: l.total, children: record.children() };
}

/**
 * Starts a supervisor linked to the caller and returns its pid at once; it starts `children` in
 * order. If one fails to start, it stops those it started and exits with
 * ["shutdown", ["failed_to_start_child", id, reason]].
 */
export function startSupervisor(options: SupervisorOptions): Pid {
  const where = "startSupervisor";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where}: expected options { strategy?, intensity?, period?, children? }, got ${preview(options)}`);
  }
  const strategy = checkStrategy(where, options.strategy);
  const { intensity, period } = restartLimits(where, options);
  const children = options.children ?? [];
  if (!Array.isArray(children)) throw new TypeError(`${where}: children must be an array of child specs, got ${preview(children)}`);
  const specs = children.map((c) => fullChildSpec(where, c));
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) throw new TypeError(`${where}: two children have the id "${s.id}"; ids must be unique`);
    ids.add(s.id);
  }
  const loop = function* (parent: Pid): Generator<unknown, void, unknown> {
    yield* new StaticSupervisor(strategy, new RestartIntensity(intensity, period)).run(parent, specs);
  };
  Object.defineProperty(loop, "name", { value: options.name ?? "supervisor" });
  return spawnLink(loop, self());
}

/** The children a supervisor has, in start order, each `{ id, pid, type, restart }`. */
export function whichChildren(sup: Pid | string): Receive<ChildInfo[]> {
  return supervisorCall("whichChildren", sup, ["which_children"]) as Receive<ChildInfo[]>;
}

/** How many children a supervisor has: specs, active (running), supervisors, workers. */
export function countChildren(sup: Pid | string): Receive<ChildCounts> {
  return supervisorCall("countChildren", sup, ["count_children"]) as Receive<ChildCounts>;
}

/**
 * Adds a child and starts it: `startChild(sup, spec)` for a supervisor; for a dynamic supervisor
 * `startChild(sup, ...args)` starts its child spec with `args` appended. Gives the new pid, or
 * undefined when the start function ignored; throws SupervisorError when the start failed.
 */
export function startChild(sup: Pid | string, spec: ChildSpec): Receive<Pid | undefined>;
export function startChild(sup: Pid | string, ...args: unknown[]): Receive<Pid | undefined>;
export function startChild(sup: Pid | string, ...args: unknown[]): Receive<Pid | undefined> {
  if (args.length === 1 && isChildSpecLike(args[0])) {
    // A spec holds functions, which no message can carry: the request carries a ref to it instead.
    const spec = fullChildSpec("startChild", args[0]);
    const ref = makeRef();
    handedSpecs.set(ref, spec);
    return supervisorCall("startChild", sup, ["start_child", ref]) as Receive<Pid | undefined>;
  }
  return supervisorCall("startChild", sup, ["start_dynamic_child", args]) as Receive<Pid | undefined>;
}

/** Stops a child (by id; a dynamic supervisor's by pid). A supervisor keeps its spec unless it is temporary. */
export function terminateChild(sup: Pid | string, child: string | Pid): Receive<void> {
  return supervisorCall("terminateChild", sup, ["terminate_child", child]) as Receive<void>;
}

/** Starts again a child that is not running (stopped by terminateChild, or transient and ended); gives its pid. */
export function restartChild(sup: Pid | string, id: string): Receive<Pid | undefined> {
  return supervisorCall("restartChild", sup, ["restart_child", id]) as Receive<Pid | undefined>;
}

/** Removes the spec of a child that is not running. */
export function deleteChild(sup: Pid | string, id: string): Receive<void> {
  return supervisorCall("deleteChild", sup, ["delete_child", id]) as Receive<void>;
}

/** Child specs on their way to a supervisor in startChild, by the ref the request carries. */
const handedSpecs = new WeakMap<Ref, FullChildSpec>();

/** Takes the spec a startChild request carries a ref to. */
export function handedSpec(ref: unknown): FullChildSpec | undefined {
  return ref instanceof Ref ? handedSpecs.get(ref) : undefined;
}

function isChildSpecLike(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const start = (value as { start?: unknown }).start;
  return Array.isArray(start) && typeof start[0] === "function";
}

/** Tag of the requests the supervisor calls send, and of a supervisor's messages to itself. */
export const SUPERVISOR = "$supervisor";

function* supervisorCall(what: string, sup: Pid | string, request: unknown[]): Generator<unknown, unknown, unknown> {
  // Supervisor calls wait as long as a child's shutdown takes, as OTP's do; a dead supervisor
  // makes the call throw CallExitError at once.
  const answer = (yield* call(sup, [SUPERVISOR, ...request], Infinity)) as ["ok", unknown] | ["error", unknown, string];
  if (answer[0] === "error") throw new SupervisorError(answer[1], `${what}: ${answer[2]}`);
  return answer[1];
}

/** Reads a supervisor request out of a message: [from, op, args] or undefined. */
export function supervisorRequest(msg: unknown): [From, string, unknown[]] | undefined {
  if (!Array.isArray(msg) || msg.length !== 3 || msg[0] !== "$call") return undefined;
  const req = msg[2];
  if (!Array.isArray(req) || req[0] !== SUPERVISOR || typeof req[1] !== "string") return undefined;
  return [msg[1] as From, req[1], req.slice(2)];
}

/** An ["EXIT", pid, reason] message. */
export function isExitMessage(msg: unknown): msg is ["EXIT", Pid, unknown] {
  return Array.isArray(msg) && msg.length === 3 && msg[0] === "EXIT" && msg[1] instanceof Pid;
}

/** A supervisor call's answer: its value, or OTP's error reason and a message. */
export type Answer = ["ok", unknown] | ["error", unknown, string];

/** What the receive loop asks of a supervisor, static or dynamic. */
export interface SupervisorBody {
  readonly me: Process;
  /** The child whose running process has this pid id, or the child with this spec id. */
  childByPidId(id: number): Child | undefined;
  childById(id: string): Child | undefined;
  stopAll(): Generator<unknown, void, unknown>;
  childExited(child: Child, reason: unknown): Generator<unknown, void, unknown>;
  restart(child: Child, reason: unknown, oldPid: number): Generator<unknown, void, unknown>;
  handle(op: string, args: unknown[]): Generator<unknown, Answer, unknown>;
}

/**
 * A supervisor's receive loop, one for both kinds: exit signals (its parent's stops the children,
 * then the supervisor, like OTP; a child's is handled by the strategy), calls, and retries of a
 * restart that failed. `kind` names the supervisor in the report of an unexpected message.
 */
export function* supervisorLoop(s: SupervisorBody, parent: Pid, kind: string): Generator<unknown, never, unknown> {
  for (;;) {
    // Runtime code is not instrumented by the loader, so this loop counts its own reductions.
    if (--budget.r <= 0) yield PREEMPT;
    const msg = yield* receive();
    if (isExitMessage(msg)) {
      if (msg[1].id === parent.id) {
        yield* s.stopAll();
        exit(msg[2]);
      }
      const child = s.childByPidId(msg[1].id);
      if (child !== undefined) yield* s.childExited(child, msg[2]);
      continue;
    }
    const request = supervisorRequest(msg);
    if (request !== undefined) {
      reply(request[0], yield* s.handle(request[1], request[2]));
      continue;
    }
    if (Array.isArray(msg) && msg.length === 3 && msg[0] === SUPERVISOR && msg[1] === "retry") {
      const child = s.childById(msg[2] as string);
      if (child !== undefined && child.pid === undefined) yield* s.restart(child, child.lastReason, 0);
      continue;
    }
    console.error(`${kind} ${s.me} got an unexpected message ${preview(msg)}`);
  }
}

class StaticSupervisor implements SupervisorRecord, SupervisorBody {
  /** In start order. */
  private readonly list: Child[] = [];
  private readonly byPid = new Map<number, Child>();
  me!: Process;

  constructor(
    readonly strategy: Strategy,
    readonly limits: RestartIntensity,
  ) {}

  children(): readonly ChildSnapshot[] {
    return this.list.slice();
  }

  childByPid(p: Process): ChildSnapshot | undefined {
    const child = this.byPid.get(p.id);
    return child?.pid === p ? child : undefined;
  }

  *run(parent: Pid, specs: readonly FullChildSpec[]): Generator<unknown, void, unknown> {
    processFlag("trapExit", true);
    this.me = self() as Process;
    registerSupervisor(this.me, this);
    for (const spec of specs) {
      const child = new Child(spec.id, spec.start, spec.restart, spec.shutdown, spec.type);
      this.list.push(child);
      const failure = yield* this.startOne(child);
      if (failure !== undefined) {
        this.list.pop();
        yield* this.stopAll();
        exit(["shutdown", ["failed_to_start_child", spec.id, failure.reason]]);
      }
    }
    yield* supervisorLoop(this, parent, "supervisor");
  }

  childByPidId(id: number): Child | undefined {
    return this.byPid.get(id);
  }

  childById(id: string): Child | undefined {
    return this.list.find((c) => c.id === id);
  }

  /** Starts a child; returns the failure, or undefined when it runs or ignored. */
  private *startOne(child: Child): Generator<unknown, StartFailure | undefined, unknown> {
    try {
      const pid = yield* startProcess(child.start, []);
      if (pid !== "ignore") {
        child.pid = pid;
        this.byPid.set(pid.id, child);
        noteChild(this.me, pid);
      }
      return undefined;
    } catch (thrown) {
      if (thrown instanceof StartFailure) {
        child.lastReason = thrown.reason;
        return thrown;
      }
      throw thrown;
    }
  }

  private *stopOne(child: Child): Generator<unknown, void, unknown> {
    const pid = child.pid;
    if (pid === undefined) return;
    child.lastReason = yield* shutdownChild(pid, child.shutdown);
    this.byPid.delete(pid.id);
    child.pid = undefined;
  }

  /** Stops every child, in reverse start order. */
  *stopAll(): Generator<unknown, void, unknown> {
    for (let i = this.list.length - 1; i >= 0; i--) yield* this.stopOne(this.list[i]!);
  }

  private remove(child: Child): void {
    const at = this.list.indexOf(child);
    if (at >= 0) this.list.splice(at, 1);
  }

  *childExited(child: Child, reason: unknown): Generator<unknown, void, unknown> {
    const oldPid = child.pid!.id;
    this.byPid.delete(oldPid);
    child.pid = undefined;
    child.lastReason = reason;
    if (child.restart === "temporary") {
      this.remove(child);
      return;
    }
    if (needsRestart(child.restart, reason)) yield* this.restart(child, reason, oldPid);
  }

  /**
   * Restarts after `child` ended with `reason`: it alone (one_for_one), every child (one_for_all),
   * or it and those started after it (rest_for_one); the others of the group are stopped first,
   * in reverse order. A start that fails is tried again through a message to itself, as OTP's
   * try_again_restart, so that the supervisor keeps answering calls; each try counts as a restart.
   */
  *restart(child: Child, reason: unknown, oldPid: number): Generator<unknown, void, unknown> {
    if (!this.limits.add(scheduler.now())) yield* this.giveUp(reason);
    const at = this.list.indexOf(child);
    const group = this.strategy === "one_for_one" ? [child] : this.strategy === "one_for_all" ? this.list.slice() : this.list.slice(at);
    const oldPids = new Map<Child, number>([[child, oldPid]]);
    for (let i = group.length - 1; i >= 0; i--) {
      const c = group[i]!;
      if (c === child || c.pid === undefined) continue;
      oldPids.set(c, c.pid.id);
      yield* this.stopOne(c);
      if (c.restart === "temporary") this.remove(c);
    }
    // Like OTP, every child of the group that is not running starts, in order.
    for (const c of group) {
      if (c.pid !== undefined || !this.list.includes(c)) continue;
      const failure = yield* this.startOne(c);
      if (failure !== undefined) {
        send(this.me, [SUPERVISOR, "retry", c.id]);
        return;
      }
      c.restarts++;
      c.lastRestartMs = scheduler.now();
      const why = c === child ? reason : c.lastReason;
      scheduler.reportFault({ kind: "restart", supervisor: this.me, childId: c.id, oldPid: oldPids.get(c) ?? 0, newPid: (c.pid as Pid | undefined)?.id ?? 0, reason: why });
    }
  }

  /** Too many restarts: stop every child in reverse order and exit with "shutdown", as OTP. */
  private *giveUp(reason: unknown): Generator<unknown, never, unknown> {
    scheduler.reportFault({ kind: "gave-up", supervisor: this.me, restarts: this.limits.recent, periodMs: this.limits.period, reason });
    yield* this.stopAll();
    exit("shutdown");
    throw new Error("unreachable: exit returned");
  }

  *handle(op: string, args: unknown[]): Generator<unknown, Answer, unknown> {
    const me = String(this.me);
    const find = (id: unknown) => this.list.find((c) => c.id === id);
    switch (op) {
      case "which_children":
        return ["ok", this.list.map((c): ChildInfo => ({ id: c.id, pid: c.pid, type: c.type, restart: c.restart }))];
      case "count_children": {
        const counts: ChildCounts = { specs: this.list.length, active: 0, supervisors: 0, workers: 0 };
        for (const c of this.list) {
          if (c.pid !== undefined) counts.active++;
          if (c.type === "supervisor") counts.supervisors++;
          else counts.workers++;
        }
        return ["ok", counts];
      }
      case "start_child": {
        const spec = handedSpec(args[0]);
        if (spec === undefined) return ["error", "badarg", `${me} could not read the child spec (it must be started on the supervisor's scheduler)`];
        const existing = find(spec.id);
        if (existing !== undefined) {
          return existing.pid !== undefined
            ? ["error", ["already_started", existing.pid], `${me} already has a running child "${spec.id}" (${existing.pid})`]
            : ["error", "already_present", `${me} already has a child "${spec.id}" (not running); use restartChild or deleteChild`];
        }
        const child = new Child(spec.id, spec.start, spec.restart, spec.shutdown, spec.type);
        this.list.push(child);
        const failure = yield* this.startOne(child);
        if (failure !== undefined) {
          this.remove(child);
          return ["error", failure.reason, `child "${spec.id}" of ${me} did not start: ${describe(failure.reason)}`];
        }
        if (child.pid === undefined && child.restart === "temporary") this.remove(child);
        return ["ok", child.pid];
      }
      case "start_dynamic_child":
        return ["error", "badarg", `${me} is a supervisor, not a dynamic supervisor: pass a child spec { id, start: [fn, ...args] }`];
      case "terminate_child": {
        const child = find(args[0]);
        if (child === undefined) return ["error", "not_found", `${me} has no child ${preview(args[0])}`];
        yield* this.stopOne(child);
        if (child.restart === "temporary") this.remove(child);
        return ["ok", undefined];
      }
      case "restart_child": {
        const child = find(args[0]);
        if (child === undefined) return ["error", "not_found", `${me} has no child ${preview(args[0])}`];
        if (child.pid !== undefined) return ["error", "running", `child ${preview(args[0])} of ${me} is running (${child.pid})`];
        const failure = yield* this.startOne(child);
        if (failure !== undefined) return ["error", failure.reason, `child ${preview(args[0])} of ${me} did not start: ${describe(failure.reason)}`];
        return ["ok", child.pid];
      }
      case "delete_child": {
        const child = find(args[0]);
        if (child === undefined) return ["error", "not_found", `${me} has no child ${preview(args[0])}`];
        if (child.pid !== undefined) return ["error", "running", `child ${preview(args[0])} of ${me} is running (${child.pid}); terminate it first`];
        this.remove(child);
        return ["ok", undefined];
      }
      default:
        return ["error", "badcall", `${me} does not know the request ${preview(op)}`];
    }
  }
}

/** A reason in one line, for error messages. */
export function describe(reason: unknown): string {
  if (isCrashReason(reason)) return `${reason.error}: ${reason.message}${reason.at !== "" ? ` (at ${reason.at})` : ""}`;
  return preview(reason);
}
