// The dynamic supervisor (issue 14): children started on demand from one spec with extra args,
// each restarted alone with the same args; restart types, intensity, terminateChild by pid,
// maxChildren, start failures, and 10,000 children under one supervisor.

import assert from "node:assert/strict";
import { test } from "node:test";
import { _, exit, isAlive, monitor, on, Pid, processFlag, receive, self, send, spawn, type Ref } from "../runtime/api.js";
import { Process } from "../runtime/core/process.js";
import { scheduler, type FaultEvent } from "../runtime/core/scheduler.js";
import { startDynamicSupervisor } from "../runtime/behaviours/dynamicSupervisor.js";
import { startServerLink } from "../runtime/behaviours/server.js";
import {
  countChildren,
  restartChild,
  startChild,
  SupervisorError,
  supervisorOf,
  supervisorSnapshot,
  terminateChild,
  whichChildren,
} from "../runtime/behaviours/supervisor.js";
import { runProcess } from "./harness.js";
import { poolWorker, quiet } from "./processes/dynamicSupervisor.js";

function* started(name?: string): Generator<unknown, Pid, unknown> {
  return (yield* receive(on(["started", name ?? String, Pid])))[2];
}

function* downOf(ref: Ref): Generator<unknown, unknown, unknown> {
  return (yield* receive(on(["DOWN", ref, "process", _, _])))[4];
}

test("issue 14: a dynamic supervisor starts children with startChild(sup, ...args) appended to its spec's args, and restarts one alone with the same args", async () => {
  const faults: FaultEvent[] = [];
  const stop = scheduler.observe({ fault: (e) => void faults.push(e) });
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startDynamicSupervisor({ start: [poolWorker, me], intensity: 5 });
    const w1 = yield* startChild(sup, "one");
    const w2 = yield* startChild(sup, "two");
    yield* started("one");
    yield* started("two");
    send(w1!, "crash");
    const w1b = yield* started("one");
    const children = (yield* whichChildren(sup)).map((c) => [c.id, c.pid, c.type, c.restart]);
    const counts = yield* countChildren(sup);
    const snap = supervisorSnapshot(sup as Process)!;
    const copy = { strategy: snap.strategy, restarts: snap.restarts, children: snap.children.map((c) => [c.id, c.restarts]) };
    // supervisorOf reads the child's Process, which only the child's scheduler has; a child on another
    // scheduler is in one supervision tree too (test/supervisionSchedulers.test.ts).
    const of = !(w1b instanceof Process) || supervisorOf(w1b) === sup;
    return { w1, w2, w1b, children, counts, snap: copy, of, sup };
  });
  stop();
  assert.notEqual(value.w1b, value.w1);
  assert.deepEqual(value.children, [
    ["1", value.w1b, "worker", "permanent"],
    ["2", value.w2, "worker", "permanent"],
  ]);
  assert.deepEqual(value.counts, { specs: 2, active: 2, supervisors: 0, workers: 2 });
  assert.deepEqual(value.snap, { strategy: "simple_one_for_one", restarts: 1, children: [["1", 1], ["2", 0]] });
  assert.equal(value.of, true);
  const restart = faults.find((e) => e.supervisor === value.sup) as Extract<FaultEvent, { kind: "restart" }>;
  assert.deepEqual([restart.kind, restart.childId, restart.oldPid, restart.newPid], ["restart", "1", value.w1!.id, value.w1b.id]);
  assert.match((restart.reason as { message: string }).message, /one crashed/);
});

test("issue 14: a dynamic supervisor forgets a transient child that ended normally and a temporary one that crashed", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const transient = startDynamicSupervisor({ start: [poolWorker, me], restart: "transient" });
    const temporary = startDynamicSupervisor({ start: [poolWorker, me], restart: "temporary" });
    const t = (yield* startChild(transient, "t"))!;
    const c = (yield* startChild(temporary, "c"))!;
    const refs = [monitor(t), monitor(c)];
    send(t, "stop");
    send(c, "crash");
    yield* downOf(refs[0]!);
    yield* downOf(refs[1]!);
    return [(yield* whichChildren(transient)).length, (yield* whichChildren(temporary)).length];
  });
  assert.deepEqual(value, [0, 0]);
});

test("issue 14: terminateChild stops a dynamic supervisor's child by pid; ids, restartChild and a spec are refused with reasons", async () => {
  const { value } = await runProcess(function* () {
    const me = self();
    const sup = startDynamicSupervisor({ start: [poolWorker, me], maxChildren: 2 });
    const a = (yield* startChild(sup, "a"))!;
    yield* startChild(sup, "b");
    const ref = monitor(a);
    yield* terminateChild(sup, a);
    const reason = yield* downOf(ref);
    const reasons: unknown[] = [];
    for (const attempt of [
      () => terminateChild(sup, "1"),
      () => restartChild(sup, "2"),
      () => startChild(sup, { id: "x", start: [poolWorker, me, "x"] }),
      () => startChild(sup, "c"),
      () => startChild(sup, "d"),
    ]) {
      try {
        yield* attempt();
        reasons.push("ok");
      } catch (error) {
        reasons.push(error instanceof SupervisorError ? error.reason : String(error));
      }
    }
    return { reason, reasons, left: (yield* whichChildren(sup)).map((c) => c.id) };
  });
  assert.equal(value.reason, "shutdown");
  assert.deepEqual(value.reasons, ["not_found", "simple_one_for_one", "badarg", "ok", "max_children"]);
  assert.deepEqual(value.left, ["2", "3"]);
});

test("issue 14: a dynamic child whose start fails makes startChild throw SupervisorError with the reason", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const sup = startDynamicSupervisor({ start: [startServerLink, { init: (n: number): number | { stop: unknown } => (n < 0 ? { stop: ["negative", n] } : n) }] });
    try {
      yield* startChild(sup, -1);
      return "started";
    } catch (error) {
      return { reason: (error as SupervisorError).reason, message: (error as Error).message, alive: isAlive(sup) };
    }
  });
  assert.deepEqual({ ...(value as object), message: "" }, { reason: ["negative", -1], message: "", alive: true });
  assert.match((value as { message: string }).message, /^startChild: a child of <[\d.]+> did not start: \["negative",-1\]$/);
});

test("issue 14: a dynamic supervisor that restarts too often stops all its children and exits with shutdown", async () => {
  const { value } = await runProcess(function* () {
    processFlag("trapExit", true);
    const me = self();
    const sup = startDynamicSupervisor({ start: [poolWorker, me], intensity: 1, period: 60_000 });
    const pids: Pid[] = [];
    for (let i = 0; i < 5; i++) pids.push((yield* startChild(sup, `w${i}`))!);
    const refs = pids.map((p) => monitor(p));
    exit(pids[0]!, "kill");
    yield* started("w0");
    exit(pids[1]!, "kill");
    const supExit = yield* receive(on(["EXIT", sup, _]));
    const reasons = [];
    for (const ref of refs.slice(2)) reasons.push(yield* downOf(ref));
    return { reason: supExit[2], reasons };
  });
  assert.deepEqual(value, { reason: "shutdown", reasons: ["shutdown", "shutdown", "shutdown"] });
});

test("issue 14: one dynamic supervisor keeps 10,000 children: restarts one among them, lists them, and stops them all with its parent", async () => {
  const n = 10_000;
  const { value } = await runProcess(function* () {
    const me = self();
    const owner = spawn(ownerOfPool, me, n);
    const sup = (yield* receive(on(["pool", Pid])))[1];
    const first = (yield* receive(on(["started", "w4321", Pid])))[2];
    const listed = (yield* whichChildren(sup)).length;
    exit(first, "kill");
    const again = (yield* receive(on(["started", "w4321", Pid])))[2];
    const snap = supervisorSnapshot(sup as Process)!;
    const restarted = snap.children[4321]!;
    const facts = { listed, count: snap.children.length, restarts: snap.restarts, sameId: restarted.id === "4322", newPid: restarted.pid?.id === again.id };
    const pids = snap.children.map((c) => c.pid!);
    const supRef = monitor(sup);
    send(owner, "quit");
    const supReason = yield* downOf(supRef);
    return { ...facts, supReason, alive: pids.filter((p) => isAlive(p)).length };
  });
  assert.deepEqual(value, { listed: n, count: n, restarts: 1, sameId: true, newPid: true, supReason: "quit", alive: 0 });
});

/**
 * Starts a pool of `n` quiet workers under a dynamic supervisor, reports it, and exits with "quit"
 * when told. Not named for the other schedulers, so on this one: the test reads its supervisor's snapshot.
 */
function* ownerOfPool(report: Pid, n: number): Generator<unknown, void, unknown> {
  const sup = startDynamicSupervisor({ start: [quiet, report], intensity: 10 });
  for (let i = 0; i < n; i++) yield* startChild(sup, `w${i}`);
  send(report, ["pool", sup]);
  yield* receive(on("quit"));
  exit("quit");
}
