// A dynamic supervisor for pools, as Elixir's DynamicSupervisor and OTP's simple_one_for_one: one
// child spec, children started on demand with `startChild(sup, ...args)`, each restarted alone
// (docs/api.md, "Supervisors"). A child's exit, restart and lookup cost O(1), so that one
// supervisor keeps 10,000 children cheaply; only whichChildren and a snapshot walk them all.

import { exit, Pid, processFlag, self, send, spawnLink } from "../api.js";
import type { Process } from "../core/process.js";
import { preview } from "../core/receive.js";
import { scheduler } from "../core/scheduler.js";
import { fullChildSpec, needsRestart, restartLimits, type ChildType, type FullChildSpec, type RestartType, type Shutdown, type StartFunction } from "./childSpec.js";
import { Child, shutdownAll, shutdownChild, startProcess, StartFailure, type ChildSnapshot } from "./children.js";
import { RestartIntensity } from "./restartIntensity.js";
import { describe, noteChild, registerSupervisor, supervisorLoop, SUPERVISOR, type Answer, type ChildCounts, type ChildInfo, type SupervisorBody, type SupervisorRecord } from "./supervisor.js";

export interface DynamicSupervisorOptions {
  /** How each child starts; startChild(sup, ...args) appends its args. */
  start: StartFunction;
  /** Default "permanent". */
  restart?: RestartType;
  /** Default 5000 for workers, "infinity" for supervisors. */
  shutdown?: Shutdown;
  /** Default "worker". */
  type?: ChildType;
  /** Default 1 restart ... */
  intensity?: number;
  /** ... within 5000 ms. */
  period?: number;
  /** startChild fails with "max_children" beyond this many children (default no limit). */
  maxChildren?: number;
  /** Shown as the supervisor's function in the visualizer. */
  name?: string;
}

/** Starts a dynamic supervisor linked to the caller, with no children yet; returns its pid. */
export function startDynamicSupervisor(options: DynamicSupervisorOptions): Pid {
  const where = "startDynamicSupervisor";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where}: expected options { start: [fn, ...args], restart?, shutdown?, intensity?, period? }, got ${preview(options)}`);
  }
  const spec = fullChildSpec(where, options, false);
  const { intensity, period } = restartLimits(where, options);
  const maxChildren = options.maxChildren ?? Infinity;
  if (typeof maxChildren !== "number" || !(maxChildren >= 0)) throw new TypeError(`${where}: maxChildren must be a number >= 0, got ${preview(maxChildren)}`);
  const loop = function* (parent: Pid): Generator<unknown, void, unknown> {
    yield* new DynamicSupervisor(spec, new RestartIntensity(intensity, period), maxChildren).run(parent);
  };
  Object.defineProperty(loop, "name", { value: options.name ?? "dynamicSupervisor" });
  return spawnLink(loop, self());
}


class DynamicSupervisor implements SupervisorRecord, SupervisorBody {
  readonly strategy = "simple_one_for_one" as const;
  /** Every child, running or waiting for a restart to be tried again, by id ("1", "2", ...). */
  private readonly byId = new Map<string, Child>();
  private readonly byPid = new Map<number, Child>();
  private nextId = 1;
  me!: Process;

  constructor(
    private readonly spec: FullChildSpec,
    readonly limits: RestartIntensity,
    private readonly maxChildren: number,
  ) {}

  children(): readonly ChildSnapshot[] {
    return Array.from(this.byId.values());
  }

  childByPid(p: Process): ChildSnapshot | undefined {
    const child = this.byPid.get(p.id);
    return child?.pid === p ? child : undefined;
  }

  *run(parent: Pid): Generator<unknown, void, unknown> {
    processFlag("trapExit", true);
    this.me = self() as Process;
    registerSupervisor(this.me, this);
    yield* supervisorLoop(this, parent, "dynamic supervisor");
  }

  childByPidId(id: number): Child | undefined {
    return this.byPid.get(id);
  }

  childById(id: string): Child | undefined {
    return this.byId.get(id);
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

  *stopAll(): Generator<unknown, void, unknown> {
    const pids: Pid[] = [];
    for (const child of this.byId.values()) if (child.pid !== undefined) pids.push(child.pid);
    yield* shutdownAll(pids, this.spec.shutdown);
    for (const child of this.byId.values()) child.pid = undefined;
    this.byPid.clear();
  }

  *childExited(child: Child, reason: unknown): Generator<unknown, void, unknown> {
    const oldPid = child.pid!.id;
    this.byPid.delete(oldPid);
    child.pid = undefined;
    child.lastReason = reason;
    // Like simple_one_for_one, a child that is not restarted is forgotten.
    if (!needsRestart(child.restart, reason)) {
      this.byId.delete(child.id);
      return;
    }
    yield* this.restart(child, reason, oldPid);
  }

  *restart(child: Child, reason: unknown, oldPid: number): Generator<unknown, void, unknown> {
    if (!this.limits.add(scheduler.now())) {
      scheduler.reportFault({ kind: "gave-up", supervisor: this.me, restarts: this.limits.recent, periodMs: this.limits.period, reason });
      yield* this.stopAll();
      exit("shutdown");
    }
    const failure = yield* this.startOne(child);
    if (failure !== undefined) {
      // Tried again through a message to itself, so that calls are answered meanwhile (OTP's try_again_restart).
      send(this.me, [SUPERVISOR, "retry", child.id]);
      return;
    }
    child.restarts++;
    child.lastRestartMs = scheduler.now();
    if (child.pid === undefined) this.byId.delete(child.id);
    scheduler.reportFault({ kind: "restart", supervisor: this.me, childId: child.id, oldPid, newPid: child.pid?.id ?? 0, reason });
  }

  *handle(op: string, args: unknown[]): Generator<unknown, Answer, unknown> {
    const me = String(this.me);
    switch (op) {
      case "start_dynamic_child": {
        if (this.byId.size >= this.maxChildren) return ["error", "max_children", `${me} already has its maximum of ${this.maxChildren} children`];
        const extra = args[0] as unknown[];
        const id = String(this.nextId++);
        const s = this.spec;
        const child = new Child(id, [s.start[0], ...s.start.slice(1), ...extra] as unknown as StartFunction, s.restart, s.shutdown, s.type);
        const failure = yield* this.startOne(child);
        if (failure !== undefined) return ["error", failure.reason, `a child of ${me} did not start: ${describe(failure.reason)}`];
        if (child.pid !== undefined) this.byId.set(id, child);
        return ["ok", child.pid];
      }
      case "start_child":
        return ["error", "badarg", `${me} is a dynamic supervisor: start a child with startChild(sup, ...args), its spec is the supervisor's`];
      case "which_children": {
        const list: ChildInfo[] = [];
        for (const c of this.byId.values()) list.push({ id: c.id, pid: c.pid, type: c.type, restart: c.restart });
        return ["ok", list];
      }
      case "count_children": {
        let active = 0;
        for (const c of this.byId.values()) if (c.pid !== undefined) active++;
        const n = this.byId.size;
        const counts: ChildCounts = { specs: n, active, supervisors: this.spec.type === "supervisor" ? n : 0, workers: this.spec.type === "worker" ? n : 0 };
        return ["ok", counts];
      }
      case "terminate_child": {
        const child = args[0] instanceof Pid ? this.byPid.get(args[0].id) : undefined;
        if (child === undefined) return ["error", "not_found", `${me} has no running child ${preview(args[0])}; a dynamic supervisor's children are named by pid`];
        const pid = child.pid!;
        child.lastReason = yield* shutdownChild(pid, child.shutdown);
        this.byPid.delete(pid.id);
        this.byId.delete(child.id);
        child.pid = undefined;
        return ["ok", undefined];
      }
      case "restart_child":
      case "delete_child":
        return ["error", "simple_one_for_one", `${me} is a dynamic supervisor: its children are started with startChild and stopped with terminateChild`];
      default:
        return ["error", "badcall", `${me} does not know the request ${preview(op)}`];
    }
  }
}
