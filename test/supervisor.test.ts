// Supervisors (issue 14): children start in order and stop in reverse order; the three strategies;
// restart types; intensity and period; shutdown by exit signal, monitor and timeout; the calls;
// start failures; servers as children; and what telemetry reads of a supervisor.

import assert from "node:assert/strict";
import { test } from "node:test";
import { _, after, exit, isAlive, monitor, on, Pid, processFlag, receive, register, self, send, spawn, whereis, type Ref } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { budget } from "../runtime/core/reductions.js";
import { scheduler, SiteCounters, type FaultEvent } from "../runtime/core/scheduler.js";
import { startServerLink } from "../runtime/behaviours/server.js";
import {
  countChildren,
  deleteChild,
  forEachSupervisor,
  restartChild,
  startChild,
  startSupervisor,
  SupervisorError,
  supervisorOf,
  supervisorSnapshot,
  terminateChild,
  whichChildren,
  type ChildSpec,
} from "../runtime/behaviours/supervisor.js";
import { runProcess } from "./harness.js";
import { worker } from "./processes/supervisor.js";

function spec(id: string, report: Pid, extra: Partial<ChildSpec> = {}, trap = true): ChildSpec {
  return { id, start: [worker, id, report, trap], ...extra };
}

/**
 * The same child as a closure, so on its supervisor's scheduler: for a test that reads this
 * thread's scheduler, or that needs the children's first reports in the order they were started.
 * A function* child runs as soon as it is spawned and its supervisor starts the next one at once,
 * so children on different schedulers report in any order (as on the BEAM, where only a start
 * function that acknowledges its init, like a server's, orders the children's inits).
 */
function localSpec(id: string, report: Pid, extra: Partial<ChildSpec> = {}, trap = true): ChildSpec {
  return { id, start: [function* localWorker(i: string, r: Pid, t: boolean) { yield* worker(i, r, t); }, id, report, trap], ...extra };
}

/** Waits for the next ["started", id, pid] report. */
function* started(id?: string): Generator<unknown, Pid, unknown> {
  return (yield* receive(on(["started", id ?? String, Pid])))[2];
}

function* downOf(ref: Ref): Generator<unknown, unknown, unknown> {
  return (yield* receive(on(["DOWN", ref, "process", _, _])))[4];
}

/** A copy of a supervisor's snapshot as it is now (its children are the supervisor's live records). */
function structuredCloneSnapshot(sup: Pid) {
  const snap = supervisorSnapshot(sup as Process)!;
  return { ...snap, children: snap.children.map((c) => ({ ...c })) };
}

/** Collects the fault events the run reports. */
function observeFaults(): { events: FaultEvent[]; stop: () => void } {
  const events: FaultEvent[] = [];
  const stop = scheduler.observe({ fault: (e) => void events.push(e) });
  return { events, stop };
}

test("issue 14: a supervisor starts its children in order, with OTP's defaults, and whichChildren/countChildren list them", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startSupervisor({ children: [localSpec("a", me), localSpec("b", me, { restart: "transient", type: "worker", shutdown: "brutal_kill" }), localSpec("c", me)] });
    const order = [yield* started(), yield* started(), yield* started()];
    const children = yield* whichChildren(sup);
    const counts = yield* countChildren(sup);
    const snap = structuredCloneSnapshot(sup);
    return { order, children, counts, snap, sup, of: supervisorOf(order[0] as Process) };
  });
  assert.deepEqual(value.children.map((c) => [c.id, c.pid, c.type, c.restart]), [
    ["a", value.order[0], "worker", "permanent"],
    ["b", value.order[1], "worker", "transient"],
    ["c", value.order[2], "worker", "permanent"],
  ]);
  assert.deepEqual(value.counts, { specs: 3, active: 3, supervisors: 0, workers: 3 });
  assert.equal(value.snap.strategy, "one_for_one");
  assert.equal(value.snap.intensity, 1);
  assert.equal(value.snap.period, 5000);
  assert.equal(value.snap.restarts, 0);
  assert.deepEqual(value.snap.children.map((c) => [c.id, c.restarts, c.lastRestartMs]), [["a", 0, -1], ["b", 0, -1], ["c", 0, -1]]);
  assert.equal(value.of, value.sup);
});

test("issue 14: one_for_one restarts only the child that ended, and reports the restart", async () => {
  const faults = observeFaults();
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startSupervisor({ strategy: "one_for_one", children: [spec("a", me), spec("b", me)] });
    const a = yield* started("a");
    const b = yield* started("b");
    exit(a, "kill");
    const a2 = yield* started("a");
    const children = yield* whichChildren(sup);
    const snap = structuredCloneSnapshot(sup);
    return { a, b, a2, children, snap, sup };
  });
  faults.stop();
  assert.notEqual(value.a2, value.a);
  assert.deepEqual(value.children.map((c) => c.pid), [value.a2, value.b]);
  assert.equal(value.snap.restarts, 1);
  assert.deepEqual([value.snap.children[0]!.restarts, value.snap.children[0]!.lastReason], [1, "killed"]);
  assert.ok(value.snap.children[0]!.lastRestartMs >= 0);
  assert.equal(value.snap.children[1]!.restarts, 0);
  const restart = faults.events.find((e) => e.kind === "restart" && e.supervisor === value.sup);
  assert.deepEqual(restart && { ...restart, supervisor: undefined }, {
    kind: "restart",
    supervisor: undefined,
    childId: "a",
    oldPid: value.a.id,
    newPid: value.a2.id,
    reason: "killed",
  });
});

test("issue 14: one_for_all stops the others in reverse order and starts all again in order", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    startSupervisor({ strategy: "one_for_all", intensity: 5, children: [localSpec("a", me), localSpec("b", me), localSpec("c", me), localSpec("d", me)] });
    const first = [yield* started("a"), yield* started("b"), yield* started("c"), yield* started("d")];
    send(first[1]!, "crash");
    const events: unknown[] = [];
    while (events.length < 3 + 4) {
      const m = yield* receive(on(["stopped", String, _]), on(["started", String, Pid]));
      events.push(m[0] === "stopped" ? `stopped ${m[1]} ${m[2]}` : `started ${m[1]}`);
    }
    return events;
  });
  assert.deepEqual(value, [
    "stopped d shutdown",
    "stopped c shutdown",
    "stopped a shutdown",
    "started a",
    "started b",
    "started c",
    "started d",
  ]);
});

test("issue 14: rest_for_one restarts the child that ended and those started after it, not those before", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startSupervisor({ strategy: "rest_for_one", intensity: 5, children: [localSpec("a", me), localSpec("b", me), localSpec("c", me), localSpec("d", me)] });
    const first = [yield* started("a"), yield* started("b"), yield* started("c"), yield* started("d")];
    exit(first[1]!, "boom");
    const events: unknown[] = [];
    while (events.length < 3 + 3) {
      const m = yield* receive(on(["stopped", String, _]), on(["started", String, Pid]));
      events.push(m[0] === "stopped" ? `stopped ${m[1]} ${m[2]}` : `started ${m[1]}`);
    }
    const pids = (yield* whichChildren(sup)).map((c) => c.pid);
    return { events, aSame: pids[0] === first[0], restarted: pids.slice(1).every((p, i) => p !== first[i + 1]) };
  });
  // b traps exits, so it reported the "boom" signal before it ended with it.
  assert.deepEqual(value.events, ["stopped b boom", "stopped d shutdown", "stopped c shutdown", "started b", "started c", "started d"]);
  assert.equal(value.aSame, true);
});

test("issue 14: more than intensity restarts within period make the supervisor stop its children in reverse order and exit with shutdown", async () => {
  const faults = observeFaults();
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const me = self();
    const sup = startSupervisor({ intensity: 2, period: 60_000, children: [spec("a", me), spec("b", me)] });
    let a = yield* started("a");
    yield* started("b");
    for (let i = 0; i < 2; i++) {
      exit(a, "kill");
      a = yield* started("a");
    }
    exit(a, "kill");
    const stopped = yield* receive(on(["stopped", String, _]));
    const supExit = yield* receive(on(["EXIT", sup, _]));
    return { stopped, supReason: supExit[2], alive: isAlive(sup), sup };
  });
  faults.stop();
  assert.deepEqual(value.stopped, ["stopped", "b", "shutdown"]);
  assert.equal(value.supReason, "shutdown");
  assert.equal(value.alive, false);
  const mine = faults.events.filter((e) => e.supervisor === value.sup);
  assert.deepEqual(mine.map((e) => e.kind), ["restart", "restart", "gave-up"]);
  const gaveUp = mine[2] as Extract<FaultEvent, { kind: "gave-up" }>;
  assert.deepEqual([gaveUp.restarts, gaveUp.periodMs, gaveUp.reason], [3, 60_000, "killed"]);
});

test("issue 14: restarts older than the period do not count against the intensity", async () => {
  const { value } = await runProcess(
    function* () {
      processFlag("trapExit", true);
      const me = self();
      const sup = startSupervisor({ intensity: 1, period: 50, children: [spec("a", me)] });
      let a = yield* started("a");
      for (let i = 0; i < 4; i++) {
        exit(a, "kill");
        a = yield* started("a");
        // Virtual time (seeded run): the wait is exact and costs no real time.
        yield* receive(after(60));
      }
      return { alive: isAlive(sup), restarts: supervisorSnapshot(sup as Process)!.restarts };
    },
    { seed: 7 },
  );
  assert.deepEqual(value, { alive: true, restarts: 4 });
});

test("issue 14: restart types: permanent always, transient only after an abnormal exit, temporary never (and is forgotten)", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startSupervisor({
      intensity: 10,
      children: [spec("perm", me), spec("trans", me, { restart: "transient" }), spec("temp", me, { restart: "temporary" })],
    });
    const perm = yield* started("perm");
    const trans = yield* started("trans");
    const temp = yield* started("temp");
    send(perm, "stop");
    yield* started("perm");
    send(trans, "crash");
    const trans2 = yield* started("trans");
    send(trans2, ["exit", ["shutdown", "done"]]);
    send(temp, "crash");
    const ref = monitor(temp);
    yield* downOf(ref);
    const ref2 = monitor(trans2);
    yield* downOf(ref2);
    const children = yield* whichChildren(sup);
    return children.map((c) => [c.id, c.pid === undefined ? "down" : "running"]);
  });
  assert.deepEqual(value, [
    ["perm", "running"],
    ["trans", "down"],
  ]);
});

test("issue 14: shutdown: brutal_kill kills at once, a timeout kills a child that does not stop in time, infinity waits", async () => {
  const { value } = await runProcess(
    function* () {
      const me = self();
      // Traps exits and takes `ms` to stop after it is told to.
      function* slow(id: string, report: Pid, ms: number): Generator<unknown, void, unknown> {
        processFlag("trapExit", true);
        send(report, ["started", id, self()]);
        yield* receive(on(["EXIT", Pid, _]));
        yield* receive(after(ms));
        send(report, ["stopped", id, "shutdown"]);
      }
      const sup = startSupervisor({
        children: [
          { id: "inf", start: [slow, "inf", me, 500], shutdown: "infinity" },
          { id: "timeout", start: [slow, "timeout", me, 10_000], shutdown: 100 },
          { id: "brutal", start: [slow, "brutal", me, 0], shutdown: "brutal_kill" },
        ],
      });
      const pids = [yield* started(), yield* started(), yield* started()];
      const refs = pids.map((p) => monitor(p));
      const reasons: unknown[] = [];
      yield* terminateChild(sup, "brutal");
      reasons.push(yield* downOf(refs[2]!));
      yield* terminateChild(sup, "timeout");
      reasons.push(yield* downOf(refs[1]!));
      yield* terminateChild(sup, "inf");
      reasons.push(yield* downOf(refs[0]!));
      const stops = [];
      for (let m; (m = yield* receive(on(["stopped", String, _]), after(0, () => undefined))) !== undefined; ) stops.push(m[1]);
      return { reasons, stops };
    },
    { seed: 3 },
  );
  assert.deepEqual(value.reasons, ["killed", "killed", "normal"]);
  assert.deepEqual(value.stops, ["inf"]);
});

test("issue 14: startChild, terminateChild, restartChild and deleteChild, with their errors", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startSupervisor({ children: [spec("a", me)] });
    yield* started("a");
    const b = yield* startChild(sup, spec("b", me));
    yield* started("b");
    const errors: unknown[] = [];
    const attempt = function* (run: () => Generator<unknown, unknown, unknown> | Iterable<unknown>) {
      try {
        yield* run() as Generator<unknown, unknown, unknown>;
        errors.push("ok");
      } catch (error) {
        errors.push(error instanceof SupervisorError ? error.reason : String(error));
      }
    };
    yield* attempt(() => startChild(sup, spec("b", me)));
    yield* attempt(() => deleteChild(sup, "b"));
    yield* attempt(() => restartChild(sup, "b"));
    yield* terminateChild(sup, "b");
    const afterTerminate = (yield* whichChildren(sup)).map((c) => [c.id, c.pid === undefined]);
    yield* attempt(() => startChild(sup, spec("b", me)));
    const b2 = yield* restartChild(sup, "b");
    yield* started("b");
    yield* terminateChild(sup, "b");
    yield* deleteChild(sup, "b");
    yield* attempt(() => terminateChild(sup, "b"));
    yield* attempt(() => deleteChild(sup, "nope"));
    const final = (yield* whichChildren(sup)).map((c) => c.id);
    let message = "";
    try {
      yield* restartChild(sup, "nope");
    } catch (error) {
      message = (error as Error).message;
    }
    return { b, b2, errors, afterTerminate, final, message };
  });
  assert.ok(value.b instanceof Pid);
  assert.ok(value.b2 instanceof Pid && value.b2 !== value.b);
  assert.deepEqual(value.errors, [["already_started", value.b], "running", "running", "already_present", "not_found", "not_found"]);
  assert.deepEqual(value.afterTerminate, [["a", false], ["b", true]]);
  assert.deepEqual(value.final, ["a"]);
  assert.match(value.message, /^restartChild: <[\d.]+> has no child "nope"$/);
});

test("issue 14: bad child specs and options are refused at the call with an error naming the field", () => {
  assert.throws(() => startSupervisor({ strategy: "one_for_some" as never }), /startSupervisor: strategy must be "one_for_one", "one_for_all" or "rest_for_one", got "one_for_some"/);
  assert.throws(() => startSupervisor({ intensity: -1 }), /startSupervisor: intensity must be a whole number >= 0/);
  assert.throws(() => startSupervisor({ children: [{ id: "x", start: ["nope"] as never }] }), /startSupervisor: child "x": start must be \[fn, \.\.\.args\] with a function first, got \["nope"\]/);
  assert.throws(
    () => startSupervisor({ children: [{ id: "x", start: [worker], shutdown: -5 }] }),
    /child "x": shutdown must be a whole number of milliseconds >= 0, "brutal_kill" or "infinity", got -5/,
  );
  assert.throws(() => startSupervisor({ children: [{ id: "x", start: [worker] }, { id: "x", start: [worker] }] }), /two children have the id "x"/);
});

test("issue 14: a child that fails to start stops the supervisor's start: those started stop, and it exits with failed_to_start_child", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const me = self();
    const failing = { init: (): number | { stop: unknown } => ({ stop: "no_database" }) };
    // "a" on this scheduler: its supervisor stops it as soon as db fails, and on another scheduler
    // that exit signal may come before a's first slice, where it starts trapping exits.
    const sup = startSupervisor({ children: [localSpec("a", me), { id: "db", start: [startServerLink, failing] }, spec("c", me)] });
    yield* started("a");
    const stopped = yield* receive(on(["stopped", "a", _]));
    const supExit = yield* receive(on(["EXIT", sup, _]));
    const more = yield* receive(on(["started", "c", _]), after(0, () => "none"));
    return { stopped: stopped[2], reason: supExit[2], more };
  });
  assert.deepEqual(value, { stopped: "shutdown", reason: ["shutdown", ["failed_to_start_child", "db", "no_database"]], more: "none" });
});

test("issue 14: a server child runs terminate when its supervisor shuts down, and one whose init ignores is kept as not running", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const me = self();
    const server = {
      init: (): string | "ignore" => {
        processFlag("trapExit", true);
        return "state";
      },
      terminate: (reason: unknown, state: string) => send(me, ["terminated", reason, state]),
    };
    const ignoring = { init: () => "ignore" as const };
    const sup = startSupervisor({ children: [{ id: "srv", start: [startServerLink, server] }, { id: "ign", start: [startServerLink, ignoring] }] });
    const children = (yield* whichChildren(sup)).map((c) => [c.id, c.pid === undefined]);
    exit(sup, "shutdown");
    const terminated = yield* receive(on(["terminated", _, _]));
    const supExit = yield* receive(on(["EXIT", sup, _]));
    return { children, terminated, reason: supExit[2] };
  });
  assert.deepEqual(value, { children: [["srv", false], ["ign", true]], terminated: ["terminated", "shutdown", "state"], reason: "shutdown" });
});

test("issue 14: a restarted child can register the same name again, and supervisors nest", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    function* named(report: Pid): Generator<unknown, void, unknown> {
      register("db", self());
      send(report, ["started", "db", self()]);
      yield* receive();
      throw new Error("db crashed");
    }
    const top = startSupervisor({
      name: "top",
      children: [{ id: "inner", type: "supervisor", start: [startSupervisor, { name: "inner", children: [{ id: "db", start: [named, me] }] }] }],
    });
    const first = yield* started("db");
    send("db", "go");
    const second = yield* started("db");
    const inner = (yield* whichChildren(top))[0]!;
    const sups: string[] = [];
    forEachSupervisor((p) => sups.push(p.fn.name));
    return {
      same: whereis("db") === second && first !== second,
      innerType: inner.type,
      innerOf: supervisorOf(inner.pid as Process) === top,
      dbOf: supervisorOf(second as Process) === inner.pid,
      sups: sups.filter((n) => n === "top" || n === "inner").sort(),
      shutdown: supervisorSnapshot(top as Process)!.children[0]!.type,
    };
  });
  assert.deepEqual(value, { same: true, innerType: "supervisor", innerOf: true, dbOf: true, sups: ["inner", "top"], shutdown: "supervisor" });
});

test("issue 14: when its parent exits, a supervisor stops its children and exits with the parent's reason", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const owner = spawn(function* (report: Pid) {
      send(report, ["sup", startSupervisor({ children: [spec("a", report)] })]);
      yield* receive(on("go"));
      exit("bye");
    }, me);
    const sup = (yield* receive(on(["sup", Pid])))[1];
    const child = yield* started("a");
    const supRef = monitor(sup);
    send(owner, "go");
    const stopped = yield* receive(on(["stopped", "a", _]));
    return { supReason: yield* downOf(supRef), childReason: stopped[2], childAlive: isAlive(child) };
  });
  assert.deepEqual(value, { supReason: "bye", childReason: "shutdown", childAlive: false });
});

test("issue 14: a child that crashes as soon as it starts is restarted until the intensity is spent, then the supervisor gives up", async () => {
  const { value } = await runProcess(
    function* () {
      processFlag("trapExit", true);
      const me = self();
      function* doomed(report: Pid): Generator<unknown, void, unknown> {
        send(report, "attempt");
        throw new Error("cannot start");
      }
      const sup = startSupervisor({ intensity: 3, period: 60_000, children: [{ id: "doomed", start: [doomed, me] }] });
      const supExit = yield* receive(on(["EXIT", sup, _]));
      let attempts = 0;
      while ((yield* receive(on("attempt"), after(0, () => undefined))) !== undefined) attempts++;
      return { reason: supExit[2], attempts };
    },
    { seed: 11 },
  );
  // The first start and three restarts; the fourth crash is one too many.
  assert.deepEqual(value, { reason: "shutdown", attempts: 4 });
});

test("issue 14: a start function that gives the pid of a process that already ended gets a noproc exit, and the child is restarted", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    let calls = 0;
    const startsDeadThenLive = (report: Pid) => {
      calls++;
      if (calls === 1) {
        const dead = spawn(function* () {});
        exit(dead, "kill");
        return dead;
      }
      return spawn(worker, "late", report, false);
    };
    const sup = startSupervisor({ intensity: 2, children: [{ id: "late", start: [startsDeadThenLive, me] }] });
    const pid = yield* started("late");
    const snap = supervisorSnapshot(sup as Process)!;
    return { calls, restarts: snap.restarts, reason: snap.children[0]!.lastReason, running: snap.children[0]!.pid?.id === pid.id };
  });
  assert.deepEqual(value, { calls: 2, restarts: 1, reason: "noproc", running: true });
});

test("issue 14: a supervised child counts at its supervisor's start line, so the lens there sees its children (a restarted one too)", async () => {
  const sites = scheduler.sites;
  scheduler.sites = new SiteCounters(10);
  try {
    const { value } = await runProcess(function* () {
      const me = self();
      // What the loader's mark on a startSupervisor call does: the next spawn is at site 7.
      budget.s = 7;
      const sup = startSupervisor({ children: [localSpec("a", me), { id: "s", start: [startServerLink, { init: () => 0 }] }] });
      const first = yield* started("a");
      const children = yield* whichChildren(sup);
      exit(first, "kill");
      const second = yield* started("a");
      const site = (pid: Pid | undefined) => (scheduler.find(pid!.id) as Process).spawnSite;
      return { sup: site(sup), worker: site(first === second ? undefined : second), server: site(children[1]!.pid) };
    });
    assert.deepEqual(value, { sup: 7, worker: 7, server: 7 });
  } finally {
    scheduler.sites = sites;
  }
});
